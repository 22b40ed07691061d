from __future__ import annotations

import json
import os

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.rules import detect_family, normalize_rule, parse_tokens
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.tokens import RuleError, join_tokens, split_restore_line, split_user_rule
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.values import normalize_address, normalize_port_range, normalize_protocol

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "iptables")


def _captures():
    for release in ("debian12", "debian13"):
        with open(os.path.join(FIXTURES, "rules_printed_%s.json" % release), encoding="utf-8") as handle:
            data = json.load(handle)
        for item in data["rules"]:
            yield pytest.param(item, id="%s:%s:%s" % (release, item["family"], item["rule"]))


def norm(rule, family="ipv4"):
    return [join_tokens(tokens) for tokens in normalize_rule(rule, family)]


@pytest.mark.parametrize("item", list(_captures()))
def test_written_and_printed_forms_normalise_alike(item):
    """Every rule as written equals what iptables printed back, on Debian 12 and 13."""
    assert item["error"] is None, item["error"]
    written = normalize_rule(item["rule"], item["family"])
    printed = [normalize_rule(split_restore_line(line), item["family"])[0] for line in item["printed"]]
    assert written == printed


@pytest.mark.parametrize("item", list(_captures()))
def test_printed_form_is_already_canonical(item):
    """Normalising iptables-save output changes nothing (apart from protocol numbers)."""
    for line in item["printed"]:
        tokens = split_restore_line(line)
        canonical = normalize_rule(tokens, item["family"])[0]
        if "-p" in tokens and tokens[tokens.index("-p") + 1] == "gre":
            assert "47" in canonical  # 1.8.9 prints the /etc/protocols name, 1.8.11 the number
            continue
        assert list(canonical) == tokens


@pytest.mark.parametrize("line, tokens", [
    ('-A X -m comment --comment "hello world" -j ACCEPT', ["-A", "X", "-m", "comment", "--comment", "hello world", "-j", "ACCEPT"]),
    ('--comment "say \\"hi\\""', ["--comment", 'say "hi"']),
    ('--comment "it\\\'s"', ["--comment", "it's"]),
    ('--comment "a\\\\b"', ["--comment", "a\\b"]),
    ('--comment ""', ["--comment", ""]),
    ("a\\b  c", ["a\\b", "c"]),
    ('x"y z"', ["xy z"]),
])
def test_split_restore_line_follows_iptables_restore(line, tokens):
    assert split_restore_line(line) == tokens


def test_split_restore_line_rejects_open_quote():
    with pytest.raises(RuleError, match="unterminated"):
        split_restore_line('--comment "abc')


def test_join_quotes_free_text_like_iptables_save():
    assert join_tokens(["-m", "comment", "--comment", "fw.rule"]) == '-m comment --comment "fw.rule"'
    assert join_tokens(["-m", "comment", "--comment", "plain_word-1"]) == "-m comment --comment plain_word-1"
    assert join_tokens(["-j", "LOG", "--log-prefix", "it's"]) == '-j LOG --log-prefix "it\\\'s"'
    assert join_tokens(["-p", "tcp", "--dport", "1000:2000"]) == "-p tcp --dport 1000:2000"


@pytest.mark.parametrize("text, family, expected", [
    ("10.0.0.1", "ipv4", "10.0.0.1/32"),
    ("10.1.2.3/24", "ipv4", "10.1.2.0/24"),
    ("10.0.0.0/255.255.0.0", "ipv4", "10.0.0.0/16"),
    ("0.0.0.0/0", "ipv4", None),
    ("0/0", "ipv4", None),
    ("FD00:0:0:0::1", "ipv6", "fd00::1/128"),
    ("::ffff:10.0.0.1", "ipv6", "::ffff:10.0.0.1/128"),
    ("2001:db8:0:0:1:0:0:1", "ipv6", "2001:db8::1:0:0:1/128"),
    ("::/0", "ipv6", None),
])
def test_normalize_address(text, family, expected):
    assert normalize_address(text, family) == expected


@pytest.mark.parametrize("text, message", [
    ("web01.example.com", "not an IP address"),
    ("10.0.0.1/33", "not a valid network"),
    ("10.0.0.0/255.0.255.0", "not contiguous"),
])
def test_normalize_address_errors(text, message):
    with pytest.raises(RuleError, match=message):
        normalize_address(text)


def test_address_of_the_wrong_family_is_refused():
    with pytest.raises(RuleError, match="ipv6 address in an ipv4 rule"):
        normalize_address("fd00::1", "ipv4")


@pytest.mark.parametrize("text, expected", [
    ("TCP", "tcp"), ("6", "tcp"), ("icmpv6", "ipv6-icmp"), ("58", "ipv6-icmp"), ("gre", "47"),
    ("47", "47"), ("all", None), ("0", None), ("vrrp", "112"),
])
def test_normalize_protocol(text, expected):
    assert normalize_protocol(text) == expected


def test_unknown_protocol():
    with pytest.raises(RuleError, match="unknown protocol"):
        normalize_protocol("tcpx")


@pytest.mark.parametrize("text, expected", [
    ("22", "22"), ("22:22", "22"), ("1000:", "1000:65535"), (":1024", "0:1024"), ("ssh", "22"),
])
def test_normalize_port_range(text, expected):
    assert normalize_port_range(text) == expected


@pytest.mark.parametrize("text, message", [
    ("70000", "out of range"), ("2000:1000", "starts above"), ("nosuchservice", "unknown port"),
])
def test_port_errors(text, message):
    with pytest.raises(RuleError, match=message):
        normalize_port_range(text)


@pytest.mark.parametrize("rule, expected", [
    ("-p tcp --dport 22 -j ACCEPT", ["-p tcp -m tcp --dport 22 -j ACCEPT"]),
    ("--protocol tcp --destination-port 22 --jump ACCEPT", ["-p tcp -m tcp --dport 22 -j ACCEPT"]),
    ("-j ACCEPT -p udp --dport 53", ["-p udp -m udp --dport 53 -j ACCEPT"]),
    ("-s 10.0.0.1,10.0.0.2 -j ACCEPT", ["-s 10.0.0.1/32 -j ACCEPT", "-s 10.0.0.2/32 -j ACCEPT"]),
    ("-m recent --set --name SSH", ["-m recent --set --name SSH --mask 255.255.255.255 --rsource"]),
    ("-m limit --limit-burst 7 -j ACCEPT", ["-m limit --limit 3/hour --limit-burst 7 -j ACCEPT"]),
    ("-m limit --limit 60/min -j ACCEPT", ["-m limit --limit 1/sec -j ACCEPT"]),
    ("-m limit --limit 2/min -j ACCEPT", ["-m limit --limit 2/min -j ACCEPT"]),
    ("-p tcp --tcp-flags SYN,ACK,FIN,RST SYN -j DROP", ["-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j DROP"]),
    ("-j MARK --set-xmark 0x10/0xff", ["-j MARK --set-xmark 0x10/0xff"]),
    ("-j DNAT --to-destination 10.0.0.5:80", ["-j DNAT --to-destination 10.0.0.5:80"]),
    ("-m set --match-set blocked src -j DROP", ["-m set --match-set blocked src -j DROP"]),
])
def test_normalize_rule_examples(rule, expected):
    assert norm(rule) == expected


def test_comment_option_is_appended_after_matches():
    tokens = normalize_rule("-p tcp --dport 80 -j ACCEPT", "ipv4", comment="web")
    assert join_tokens(tokens[0]) == "-p tcp -m tcp --dport 80 -m comment --comment web -j ACCEPT"


def test_ipv6_defaults_differ_from_ipv4():
    assert norm("-j REJECT", "ipv6") == ["-j REJECT --reject-with icmp6-port-unreachable"]
    assert norm("-m recent --rcheck", "ipv6") == [
        "-m recent --rcheck --name DEFAULT --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource"
    ]


@pytest.mark.parametrize("rule, message", [
    ("-A INPUT -j ACCEPT", "without -A CHAIN"),
    ("-I INPUT 1 -j ACCEPT", "order listed"),
    ("-t nat -j ACCEPT", "table"),
    ("--dport 22 -j ACCEPT", "belongs to no match"),
    ("-p tcp -j ACCEPT -j DROP", "one target"),
    ("-p tcp -p udp -j ACCEPT", "given twice"),
    ("-p tcp ! -j ACCEPT", "cannot stand before"),
    ("-j ACCEPT !", "negates nothing"),
    ("ACCEPT", "unexpected word"),
    ("-m conntrack --ctstate NEWISH -j ACCEPT", "unknown connection state"),
    ("-p icmp --icmp-type nonsense -j ACCEPT", "unknown ICMP type"),
    ("-j LOG --log-level loud", "unknown log level"),
    ("-p tcp -m udp --dport 5 -j ACCEPT", "needs -p udp"),
    ("-m limit --limit 5/fortnight -j ACCEPT", "unknown unit"),
    ("-m comment --comment 'unterminated -j ACCEPT", "check the quotes"),
    ("-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 -j ACCEPT", "at most 15"),
])
def test_rule_errors_say_what_is_wrong(rule, message):
    with pytest.raises(RuleError, match=message):
        normalize_rule(rule, "ipv4")


def test_fragment_is_ipv4_only():
    with pytest.raises(RuleError, match="IPv4"):
        normalize_rule("-f -j DROP", "ipv6")


@pytest.mark.parametrize("rule, family", [
    ("-s 10.0.0.0/8 -j ACCEPT", "ipv4"),
    ("-d fd00::/8 -j ACCEPT", "ipv6"),
    ("-p icmp -j ACCEPT", "ipv4"),
    ("-p icmpv6 -j ACCEPT", "ipv6"),
    ("-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT", "ipv6"),
    ("-j REJECT --reject-with icmp-host-prohibited", "ipv4"),
    ("-j REJECT --reject-with icmp6-adm-prohibited", "ipv6"),
    ("-p tcp -j REJECT --reject-with tcp-reset", None),
    ("-p tcp --dport 22 -j ACCEPT", None),
])
def test_detect_family(rule, family):
    assert detect_family(parse_tokens(split_user_rule(rule))) == family


def test_detect_family_refuses_mixed_rules():
    with pytest.raises(RuleError, match="mixes IPv4 and IPv6"):
        detect_family(parse_tokens(split_user_rule("-s 10.0.0.1 -d fd00::1 -j ACCEPT")))


def test_line_breaks_are_refused():
    with pytest.raises(RuleError, match="line break"):
        split_user_rule("-m comment --comment 'a\nb' -j ACCEPT")


@pytest.mark.parametrize("rule, family, tokens", [
    ("! -s 0.0.0.0/0 -d 10.0.0.1 -j ACCEPT", "ipv4", ("!", "-s", "0.0.0.0/0", "-d", "10.0.0.1/32", "-j", "ACCEPT")),
    ("-s 10.0.0.0/8 ! -d 0/0 -j ACCEPT", "ipv4", ("-s", "10.0.0.0/8", "!", "-d", "0.0.0.0/0", "-j", "ACCEPT")),
    ("! -d ::/0 -j DROP", "ipv6", ("!", "-d", "::/0", "-j", "DROP")),
    ("-s 0.0.0.0/0 -j DROP", "ipv4", ("-j", "DROP")),
])
def test_negated_anywhere_is_kept_and_plain_anywhere_dropped(rule, family, tokens):
    assert normalize_rule(rule, family) == [tokens]
