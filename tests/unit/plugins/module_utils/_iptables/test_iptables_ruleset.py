from __future__ import annotations

import os

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.ruleset import (
    DEFAULT_PRESERVE_CHAINS,
    DEFAULT_PRESERVE_RULES,
    RulesetError,
    build_desired,
    explain_restore_error,
    parse_save,
    plan_table,
    render_persist,
    render_restore,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "iptables")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


INPUT_POLICY = [
    {"name": "INPUT", "policy": "DROP", "rules": [
        "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        "-i lo -j ACCEPT",
        "-p tcp --dport 22 -s 172.18.0.0/16 -j ACCEPT",
        {"rule": "-p tcp -m multiport --dports 80,443 -j ACCEPT", "comment": "web traffic"},
        "-p icmp --icmp-type echo-request -j ACCEPT",
        "-p ipv6-icmp -j ACCEPT",
        "-m limit --limit 5/minute -j LOG --log-prefix 'fw drop: '",
        "-j MYLOG",
    ]},
    {"name": "MYLOG", "rules": ["-j RETURN"]},
    {"name": "FORWARD", "policy": "DROP"},
]


def render_restore_text(plans):
    return render_restore(plans)[0]


def plan_for(save_text, chains, family="ipv4", tables=("filter",), preserve_chains=DEFAULT_PRESERVE_CHAINS,
             preserve_rules=DEFAULT_PRESERVE_RULES):
    current = parse_save(save_text, family)
    desired, optional = build_desired(chains, family, list(tables))
    return [plan_table(family, table, current.get(table, {}), desired[table], optional,
                       preserve_chains, preserve_rules) for table in tables]


def test_parse_save_reads_tables_chains_policies_and_rules():
    tables = parse_save(fixture("debian12_docker_fail2ban.v4"), "ipv4")
    assert set(tables) == {"filter", "nat"}
    flt = tables["filter"]
    assert flt["INPUT"].policy == "ACCEPT"
    assert flt["DOCKER"].policy is None
    assert [r.target for r in flt["FORWARD"].rules[:2]] == ["DOCKER-USER", "DOCKER-ISOLATION-STAGE-1"]
    assert flt["INPUT"].rules[0].text == "-p tcp -m multiport --dports 22 -j f2b-sshd"


def test_parse_save_rejects_garbage():
    with pytest.raises(RulesetError, match="outside a table"):
        parse_save("-A INPUT -j ACCEPT\n", "ipv4")
    with pytest.raises(RulesetError, match="not a rule"):
        parse_save("*filter\n-I INPUT -j ACCEPT\nCOMMIT\n", "ipv4")


@pytest.mark.parametrize("name, family", [
    ("debian13_ruleset_applied.v4", "ipv4"),
    ("debian13_ruleset_applied.v6", "ipv6"),
])
def test_applied_ruleset_read_back_plans_no_change(name, family):
    """What the module applied on a real Debian 13 host compares equal to the declaration."""
    for plan in plan_for(fixture(name), INPUT_POLICY, family):
        assert not plan.changed, plan.changed_chains


def test_docker_and_fail2ban_survive_and_keep_their_place():
    save = fixture("debian12_docker_fail2ban.v4")
    plan = plan_for(save, INPUT_POLICY)[0]
    assert plan.foreign_chains == [
        "DOCKER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", "DOCKER-USER", "f2b-sshd",
    ]
    text = render_restore_text([plan])
    lines = text.splitlines()
    # foreign chains are not mentioned at all, so --noflush leaves them and their counters alone
    assert not any(line.startswith(("-A DOCKER", "-F DOCKER", "-X DOCKER", ":DOCKER", "-A f2b")) for line in lines)
    forward = [line for line in lines if line.startswith("-A FORWARD")]
    assert forward == [
        "-A FORWARD -j DOCKER-USER",
        "-A FORWARD -j DOCKER-ISOLATION-STAGE-1",
        "-A FORWARD -o br-1bd8a7db71f0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-A FORWARD -o br-1bd8a7db71f0 -j DOCKER",
        "-A FORWARD -i br-1bd8a7db71f0 ! -o br-1bd8a7db71f0 -j ACCEPT",
        "-A FORWARD -i br-1bd8a7db71f0 -o br-1bd8a7db71f0 -j ACCEPT",
        "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-A FORWARD -o docker0 -j DOCKER",
        "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
        "-A FORWARD -i docker0 -o docker0 -j ACCEPT",
    ]
    inputs = [line for line in lines if line.startswith("-A INPUT")]
    assert inputs[0] == "-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd"
    assert inputs[1] == "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    assert ":INPUT DROP [0:0]" in lines and ":FORWARD DROP [0:0]" in lines


def test_docker_ruleset_after_apply_needs_no_change(tmp_path):
    """Simulate the applied state: foreign rules on top, then ours -> a re-plan is empty."""
    save = fixture("debian13_docker.v4")
    first = plan_for(save, INPUT_POLICY)[0]
    text = render_restore_text([first])
    applied = save.replace(":INPUT ACCEPT", ":INPUT DROP").replace(":FORWARD ACCEPT", ":FORWARD DROP")
    ours = [line for line in text.splitlines() if line.startswith("-A INPUT") or line.startswith("-A MYLOG")]
    applied = applied.replace(":DOCKER-USER - [0:0]\n", ":DOCKER-USER - [0:0]\n:MYLOG - [0:0]\n")
    applied = applied.replace("-A FORWARD -j DOCKER-USER\n", "\n".join(ours) + "\n-A FORWARD -j DOCKER-USER\n", 1)
    again = plan_for(applied, INPUT_POLICY)[0]
    assert not again.changed, again.changed_chains


def test_declared_docker_user_chain_is_owned_and_jump_kept():
    chains = [*INPUT_POLICY, {"name": "DOCKER-USER", "create": False, "rules": [
        "-m conntrack --ctstate ESTABLISHED,RELATED -j RETURN", "-i eth0 -s 10.0.0.0/8 -j RETURN",
        "-i eth0 -j DROP", "-j RETURN"]}]
    plan = plan_for(fixture("debian12_docker_fail2ban.v4"), chains)[0]
    assert "DOCKER-USER" not in plan.foreign_chains
    text = render_restore_text([plan])
    assert "-F DOCKER-USER" in text
    assert "-A DOCKER-USER -i eth0 -j DROP" in text
    assert "-A FORWARD -j DOCKER-USER" in text  # Docker's jump stays


def test_create_false_chain_is_skipped_when_absent():
    chains = [{"name": "DOCKER-USER", "create": False, "rules": ["-j RETURN"]}]
    plan = plan_for(fixture("debian12_fresh_container.v4"), chains)[0]
    assert "DOCKER-USER" not in plan.after
    assert not plan.changed


def test_undeclared_chains_are_deleted_and_preserved_ones_kept():
    save = "*filter\n:INPUT ACCEPT [0:0]\n:OLD - [0:0]\n:KUBE-SERVICES - [0:0]\n:mine-1 - [0:0]\n" \
           "-A INPUT -j OLD\n-A INPUT -j KUBE-SERVICES\n-A INPUT -j mine-1\n-A OLD -j ACCEPT\nCOMMIT\n"
    plan = plan_for(save, [{"name": "INPUT", "rules": ["-i lo -j ACCEPT"]}],
                    preserve_chains=[*DEFAULT_PRESERVE_CHAINS, "mine-*"])[0]
    text, origins = render_restore([plan])
    lines = text.splitlines()
    assert lines.index("-F OLD") < lines.index("-X OLD")
    assert "-A INPUT -j KUBE-SERVICES" in lines and "-A INPUT -j mine-1" in lines
    assert "-A INPUT -j OLD" not in lines
    assert "-X KUBE-SERVICES" not in lines
    assert len(origins) == len(lines)


def test_missing_builtin_chains_equal_an_empty_accept_chain():
    plan = plan_for(fixture("debian12_fresh_container.v4"), [])[0]
    assert not plan.changed
    plan = plan_for(fixture("debian12_fresh_container.v4"), [{"name": "INPUT", "policy": "DROP"}])[0]
    text = render_restore_text([plan])
    assert text == "*filter\n:INPUT DROP [0:0]\nCOMMIT\n"  # no -F of a chain that does not exist


def test_reverse_plan_restores_previous_state():
    save = fixture("debian12_docker_fail2ban.v4")
    plan = plan_for(save, INPUT_POLICY)[0]
    undo = render_restore_text([plan.reverse()])
    lines = undo.splitlines()
    assert ":INPUT ACCEPT [0:0]" in lines and ":FORWARD ACCEPT [0:0]" in lines
    assert "-F MYLOG" in lines and "-X MYLOG" in lines
    assert "-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd" in lines


def test_record_lists_added_and_removed_rules_once():
    save = "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 23 -j ACCEPT\nCOMMIT\n"
    plan = plan_for(save, [{"name": "INPUT", "policy": "DROP", "rules": [
        "-i lo -j ACCEPT", "-p tcp --dport 22 -j ACCEPT"]}])[0]
    tracker = DifferenceTracker()
    added, removed = plan.record(tracker, "ipv4")
    assert [a["rule"] for a in added] == ["-p tcp -m tcp --dport 22 -j ACCEPT"]
    assert added[0]["position"] == 2
    assert [r["rule"] for r in removed] == ["-p tcp -m tcp --dport 23 -j ACCEPT"]
    assert tracker.changed
    diff = tracker.diff()
    assert diff["before"]["ipv4.filter.INPUT.rules"][1] == "-p tcp -m tcp --dport 23 -j ACCEPT"
    assert "ipv4 filter INPUT: add rule 2: -p tcp -m tcp --dport 22 -j ACCEPT" in tracker.actions


def test_rules_go_to_the_right_family():
    chains = [{"name": "INPUT", "rules": [
        "-s 10.0.0.0/8 -j ACCEPT", "-s fd00::/8 -j ACCEPT", "-p tcp --dport 22 -j ACCEPT",
        {"rule": "-p tcp --dport 80 -j ACCEPT", "family": "ipv6"},
        "-s 10.0.0.1,10.0.0.2 -j DROP",
    ]}]
    v4 = build_desired(chains, "ipv4", ["filter"])[0]
    v6 = build_desired(chains, "ipv6", ["filter"])[0]
    assert [r.text for r in v4["filter"]["INPUT"].rules] == [
        "-s 10.0.0.0/8 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT",
        "-s 10.0.0.1/32 -j DROP", "-s 10.0.0.2/32 -j DROP"]
    assert [r.text for r in v6["filter"]["INPUT"].rules] == [
        "-s fd00::/8 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT", "-p tcp -m tcp --dport 80 -j ACCEPT"]


def test_chain_family_limits_a_chain_to_one_family():
    chains = [{"name": "V4ONLY", "family": ["ipv4"], "rules": ["-j RETURN"]}]
    assert "V4ONLY" in build_desired(chains, "ipv4", ["filter"])[0]["filter"]
    assert "V4ONLY" not in build_desired(chains, "ipv6", ["filter"])[0]["filter"]


@pytest.mark.parametrize("chains, message", [
    ([{"name": "INPUT", "rules": ["-p tcp --dport 99999 -j ACCEPT"]}], r"chain INPUT rule 1 \(-p tcp --dport 99999 -j ACCEPT\): port"),
    ([{"name": "MINE", "policy": "DROP"}], "cannot have a policy"),
    ([{"name": "INPUT"}, {"name": "INPUT"}], "declared twice"),
    ([{"name": "PREROUTING", "table": "nat"}], "not managed"),
    ([{"name": "bad name"}], "invalid"),
    ([{"name": "INPUT", "rules": [{"rule": "-j ACCEPT", "familly": "ipv4"}]}], "unknown keys familly"),
    ([{"name": "INPUT", "rules": [{"rule": "-j ACCEPT", "family": "ipv5"}]}], "family must be"),
    ([{"name": "INPUT", "rules": [42]}], "must be a string or a dict"),
])
def test_invalid_declarations_name_the_rule(chains, message):
    with pytest.raises(RulesetError, match=message):
        plan_for("", chains)


def test_jump_to_undeclared_chain_is_refused():
    with pytest.raises(RulesetError, match="neither a declared chain"):
        plan_for("", [{"name": "INPUT", "rules": ["-j mychain"]}])
    save = "*filter\n:INPUT ACCEPT [0:0]\n:OLD - [0:0]\nCOMMIT\n"
    with pytest.raises(RulesetError, match="exists now but is not declared"):
        plan_for(save, [{"name": "INPUT", "rules": ["-j OLD"]}])
    with pytest.raises(RulesetError, match="built-in chain"):
        plan_for("", [{"name": "INPUT", "rules": ["-j OUTPUT"]}])


def test_jump_to_foreign_or_extension_target_is_fine():
    save = fixture("debian12_docker_fail2ban.v4")
    plan_for(save, [{"name": "INPUT", "rules": ["-j f2b-sshd", "-j LOG", "-j REJECT"]}])


def test_render_persist_is_a_complete_restore_file():
    plan = plan_for(fixture("debian12_docker_fail2ban.v4"), INPUT_POLICY)[0]
    text = render_persist([plan], "generated")
    assert text.startswith("# generated\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:MYLOG - [0:0]\n")
    assert "DOCKER" not in text and "f2b" not in text
    assert text.endswith("-A MYLOG -j RETURN\nCOMMIT\n")


def test_nat_table_keeps_docker_bridge_rules():
    plan = plan_for(fixture("debian13_docker.v4"), [], tables=("nat",))[0]
    text = render_restore_text([plan])
    # Docker's MASQUERADE rules on its bridges are preserved by the default regex; the hairpin rules
    # (no interface) are not, which is why nat is not managed unless asked for.
    assert "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE" in text
    assert "-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING" in text
    assert "-F OUTPUT" not in text  # only foreign rules there: nothing to change
    assert "-j MASQUERADE" in text and "-s 172.17.0.2/32 -d 172.17.0.2/32" not in text


def test_explain_restore_error_names_the_rule():
    lines, origins = ["*filter", "-F INPUT", "-A INPUT -j NOPE", "COMMIT"], [
        None, "flushing chain INPUT", "chain INPUT rule 3 (-j NOPE)", None]
    message = "iptables-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist\nError occurred at line: 3\nTry ..."
    assert explain_restore_error(message, origins).startswith("chain INPUT rule 3 (-j NOPE): iptables-restore")
    assert explain_restore_error("iptables-restore: line 2 failed", origins).startswith("flushing chain INPUT")
    assert explain_restore_error("something else", origins) == "something else"
    assert len(lines) == len(origins)


def test_bad_preserve_regex_is_reported():
    with pytest.raises(RulesetError, match="not a valid regular expression"):
        plan_for("", [], preserve_rules=["(unclosed"])
