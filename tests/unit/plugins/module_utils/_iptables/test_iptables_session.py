from __future__ import annotations

import os

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.ruleset import (
    DEFAULT_PRESERVE_CHAINS,
    DEFAULT_PRESERVE_RULES,
    build_desired,
    parse_save,
    plan_table,
)
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.session import (
    ACCEPTED,
    DROPPED,
    UNCERTAIN,
    Packet,
    evaluate,
    input_path_changed,
    interface_of,
    planned_tables,
    session_packets,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "iptables")
SESSION = {"client": "172.17.0.1", "client_port": 51234, "server": "172.17.0.3", "server_port": 22}
BASE = ["-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", "-i lo -j ACCEPT",
        "-m conntrack --ctstate INVALID -j DROP"]


def plans_for(chains, save="", family="ipv4", tables=("filter",)):
    current = parse_save(save, family)
    desired, optional = build_desired(chains, family, list(tables))
    plans = [plan_table(family, table, current.get(table, {}), desired[table], optional,
                        list(DEFAULT_PRESERVE_CHAINS), list(DEFAULT_PRESERVE_RULES)) for table in tables]
    return plans, current


def verdicts(chains, session=None, save="", family="ipv4", tables=("filter",), interface=None):
    session = SESSION if session is None else session
    plans, current = plans_for(chains, save, family, tables)
    planned = planned_tables(plans, current)
    return [evaluate(planned, packet, family) for packet in session_packets(session, interface)]


def input_chain(rules, policy="DROP"):
    return [{"name": "INPUT", "policy": policy, "rules": rules}]


def test_the_management_network_keeps_both_packets():
    result = verdicts(input_chain([*BASE, "-s 172.17.0.0/16 -p tcp --dport 22 -j ACCEPT"]))
    assert [r["verdict"] for r in result] == [ACCEPTED, ACCEPTED]


def test_another_network_keeps_the_session_but_drops_a_new_connection():
    running, new = verdicts(input_chain([*BASE, "-s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT"]))
    assert running["verdict"] == ACCEPTED  # conntrack ESTABLISHED
    assert new == {"verdict": DROPPED, "reason": "ipv4 filter INPUT: policy DROP"}


def test_without_the_established_rule_the_running_session_is_dropped_too():
    result = verdicts(input_chain(["-p tcp --dport 80 -j ACCEPT"]))
    assert [r["verdict"] for r in result] == [DROPPED, DROPPED]


def test_an_explicit_drop_is_named_as_the_reason():
    new = verdicts(input_chain(["-s 172.17.0.1 -p tcp --dport 22 -j REJECT", "-j ACCEPT"], policy="ACCEPT"))[1]
    assert new == {"verdict": DROPPED, "reason": "ipv4 filter INPUT rule 1 (-s 172.17.0.1/32 -p tcp -m tcp --dport 22 "
                                                 "-j REJECT --reject-with icmp-port-unreachable)"}


@pytest.mark.parametrize("rule, verdict", [
    ("-p tcp --dport 2222 -j ACCEPT", DROPPED),  # other port
    ("-p tcp -m multiport --dports 80,22 -j ACCEPT", ACCEPTED),
    ("-p tcp --dport 20:30 -j ACCEPT", ACCEPTED),
    ("-p udp --dport 22 -j ACCEPT", DROPPED),  # other protocol
    ("! -s 172.17.0.0/16 -p tcp --dport 22 -j ACCEPT", DROPPED),  # negated source
    ("-d 172.17.0.3 -p tcp --dport 22 -j ACCEPT", ACCEPTED),
    ("-p tcp --syn --dport 22 -j ACCEPT", ACCEPTED),  # the new connection starts with a SYN
    ("-m state --state NEW -p tcp --dport 22 -j ACCEPT", ACCEPTED),
    ("-p tcp --dport 22 -m limit --limit 10/min -j ACCEPT", UNCERTAIN),  # rate: may or may not pass
    ("-i lo -p tcp --dport 22 -j ACCEPT", DROPPED),  # a remote client does not arrive on lo
    ("-i eth0 -p tcp --dport 22 -j ACCEPT", UNCERTAIN),  # interface unknown
    ("-p tcp --sport 1024:65535 --dport 22 -j ACCEPT", UNCERTAIN),  # the new connection's port is not known
])
def test_matches_on_a_new_connection(rule, verdict):
    assert verdicts(input_chain([rule]))[1]["verdict"] == verdict


def test_a_known_interface_decides_interface_matches():
    chains = input_chain(["-i eth+ -p tcp --dport 22 -j ACCEPT"])
    assert verdicts(chains, interface="eth0")[1]["verdict"] == ACCEPTED
    assert verdicts(chains, interface="ens3")[1]["verdict"] == DROPPED


def test_a_rate_limit_drop_before_the_accept_is_uncertain_not_refused():
    rules = ["-p tcp --dport 22 -m recent --set --name ssh", "-p tcp --dport 22 -m recent --update --seconds 60 "
             "--hitcount 6 --name ssh -j DROP", "-s 172.17.0.1 -p tcp --dport 22 -j ACCEPT"]
    new = verdicts(input_chain(rules))[1]
    assert new["verdict"] == UNCERTAIN
    assert "dropped by ipv4 filter INPUT rule 2" in new["reason"] and "accepted by ipv4 filter INPUT rule 3" in new["reason"]


def test_user_chains_are_followed_with_return_and_goto():
    chains = [*input_chain([*BASE, "-p tcp --dport 22 -j SSH"]),
              {"name": "SSH", "rules": ["-s 10.0.0.0/8 -j RETURN", "-s 172.17.0.0/16 -j ACCEPT", "-j DROP"]}]
    assert verdicts(chains)[1]["verdict"] == ACCEPTED
    returning = [*input_chain([*BASE, "-p tcp --dport 22 -j SSH", "-j ACCEPT"]),
                 {"name": "SSH", "rules": ["-s 172.17.0.0/16 -j RETURN", "-j DROP"]}]
    assert verdicts(returning)[1]["verdict"] == ACCEPTED  # RETURN goes on in INPUT, to its -j ACCEPT
    goto = [*input_chain([*BASE, "-p tcp --dport 22 -g SSH", "-j ACCEPT"]),
            {"name": "SSH", "rules": ["-s 172.17.0.0/16 -j RETURN", "-j DROP"]}]
    # RETURN from a chain entered with -g ends INPUT, whose policy drops
    assert verdicts(goto)[1] == {"verdict": DROPPED, "reason": "ipv4 filter INPUT: policy DROP"}


def test_a_foreign_chain_is_evaluated_as_it_is_now():
    save = open(os.path.join(FIXTURES, "debian12_docker_fail2ban.v4"), encoding="utf-8").read()
    banned = save.replace("-A f2b-sshd -j RETURN", "-A f2b-sshd -s 172.17.0.1/32 -j REJECT --reject-with "
                          "icmp-port-unreachable\n-A f2b-sshd -j RETURN")
    assert banned != save
    chains = input_chain([*BASE, "-p tcp --dport 22 -j ACCEPT"])
    assert verdicts(chains, save=save)[1]["verdict"] == ACCEPTED
    new = verdicts(chains, save=banned)[1]
    assert new["verdict"] == DROPPED and "f2b-sshd rule 2 (-s 172.17.0.1/32 -j REJECT" in new["reason"]


def test_every_table_on_the_input_path_counts():
    chains = [*input_chain([*BASE, "-p tcp --dport 22 -j ACCEPT"], policy="DROP"),
              {"name": "PREROUTING", "table": "raw", "rules": ["-s 172.17.0.0/16 -j DROP"]}]
    assert verdicts(chains, tables=("raw", "filter"))[1] == {
        "verdict": DROPPED, "reason": "ipv4 raw PREROUTING rule 1 (-s 172.17.0.0/16 -j DROP)"}


def test_ipv6_session():
    session = {"client": "fd00::1", "client_port": 40000, "server": "fd00::3", "server_port": 22}
    chains = input_chain([*BASE, "-s fd00::/64 -p tcp --dport 22 -j ACCEPT"])
    assert [r["verdict"] for r in verdicts(chains, session=session, family="ipv6")] == [ACCEPTED, ACCEPTED]
    other = input_chain([*BASE, "-s fd01::/64 -p tcp --dport 22 -j ACCEPT"])
    assert verdicts(other, session=session, family="ipv6")[1]["verdict"] == DROPPED


def test_an_unknown_server_address_leaves_destination_matches_open():
    packet = Packet("ipv4", "172.17.0.1", None, 22)
    plans, current = plans_for(input_chain(["-d 172.17.0.3 -p tcp --dport 22 -j ACCEPT"]))
    assert evaluate(planned_tables(plans, current), packet, "ipv4")["verdict"] == UNCERTAIN


@pytest.mark.parametrize("chains, changed", [
    (input_chain(BASE), True),
    ([{"name": "FORWARD", "policy": "DROP"}], False),  # only FORWARD: locally delivered packets do not cross it
    ([{"name": "OUTPUT", "policy": "ACCEPT", "rules": ["-o lo -j ACCEPT"]}], False),
    # a user chain that INPUT jumps to is on the path
    ([*input_chain(["-j SSH"], policy="ACCEPT"), {"name": "SSH", "rules": ["-j RETURN"]}], True),
])
def test_input_path_changed(chains, changed):
    assert input_path_changed(*plans_for(chains)) is changed


def test_only_a_reached_user_chain_counts():
    save = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:FWD - [0:0]\n" \
           "-A FORWARD -j FWD\n-A FWD -j RETURN\nCOMMIT\n"
    chains = [{"name": "FORWARD", "rules": ["-j FWD"]}, {"name": "FWD", "rules": ["-j DROP"]}]
    assert input_path_changed(*plans_for(chains, save=save)) is False
    chains.append({"name": "INPUT", "rules": ["-j FWD"]})
    assert input_path_changed(*plans_for(chains, save=save)) is True


def test_interface_of_reads_ip_addr_show():
    out = ("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
           "17: eth0    inet 172.17.0.3/16 brd 172.17.255.255 scope global eth0\\       valid_lft forever\n"
           "17: eth0    inet6 fe80::42:acff:fe11:3/64 scope link \\       valid_lft forever\n")
    assert interface_of(out, "172.17.0.3") == "eth0"
    assert interface_of(out, "fe80::42:acff:fe11:3") == "eth0"
    assert interface_of(out, "10.9.9.9") is None
    assert interface_of("", "10.9.9.9") is None
