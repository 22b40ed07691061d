from __future__ import annotations

import copy
import json
import os
import re

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._iptables import backend as iptables_backend
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.backend import ApplyError, RulesetBackend
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.spec import ARGUMENT_SPEC

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "iptables")

CHAINS = [
    {"name": "INPUT", "policy": "DROP", "rules": [
        "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", "-i lo -j ACCEPT",
        "-p tcp --dport 22 -j ACCEPT"]},
]


SESSION = {"client": "10.1.1.1", "client_port": 50000, "server": "10.1.1.20", "server_port": 22,
           "source": "process 321 (sudo)"}
# SSH only from a network the session does not come from
ADMIN_ONLY = [
    {"name": "INPUT", "policy": "DROP", "rules": [
        "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", "-i lo -j ACCEPT",
        "-p tcp --dport 22 -s 192.0.2.0/24 -j ACCEPT"]},
]


@pytest.fixture(autouse=True)
def no_ssh_session(monkeypatch):
    """By default the back end runs as under docker exec: no SSH session (whatever runs pytest)."""
    monkeypatch.setattr(RulesetBackend, "find_session", staticmethod(lambda: None))


def over_ssh(monkeypatch, session=None):
    session = dict(SESSION if session is None else session)
    monkeypatch.setattr(RulesetBackend, "find_session", staticmethod(lambda: dict(session)))


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


class FakeModule:
    """The members of AnsibleModule that the backend uses, with iptables faked in memory."""

    def __init__(self, tmp_path, check_mode=False, diff=True, saves=None, applied=None, fail_restore=None, **params):
        self.params = dict((k, copy.deepcopy(v.get("default"))) for k, v in ARGUMENT_SPEC.items())
        self.params["state_dir"] = str(tmp_path / "state")
        self.params["persist_paths"] = {"ipv4": str(tmp_path / "rules.v4"), "ipv6": str(tmp_path / "rules.v6")}
        self.params.update(params)
        self.check_mode = check_mode
        self._diff = diff
        self.saves = dict(saves or {"iptables-save": "", "ip6tables-save": ""})
        self.applied = applied or {}
        self.fail_restore = fail_restore or {}
        self.calls = []
        self.warnings = []
        self.tmpdir = str(tmp_path)

    def get_bin_path(self, name, required=False):
        return "/usr/sbin/" + name

    def warn(self, msg):
        self.warnings.append(msg)

    def atomic_move(self, src, dest):
        os.rename(src, dest)

    def run_command(self, args, data=None, binary_data=False):
        tool = os.path.basename(args[0])
        self.calls.append((tool, list(args[1:]), data))
        if tool.endswith("-save"):
            return 0, self.saves[tool], ""
        if tool.endswith("-restore"):
            if tool in self.fail_restore and ("--test" in args) == (self.fail_restore[tool][0] == "test"):
                return 2, "", self.fail_restore[tool][1]
            if "--test" not in args and tool in self.applied:
                self.saves[tool.replace("restore", "save")] = self.applied[tool]
            return 0, "", ""
        return 0, "", ""

    def tools_called(self):
        return [(tool, args) for tool, args, _data in self.calls]


def test_check_mode_reports_changes_and_touches_nothing(tmp_path):
    module = FakeModule(tmp_path, check_mode=True, chains=CHAINS, persist=True)
    result = RulesetBackend(module).run()
    assert result["changed"] is True
    assert result["counts"]["added"] == 6  # 3 rules x 2 families
    assert [call[0] for call in module.tools_called()] == ["iptables-save", "ip6tables-save"]
    assert not os.path.exists(tmp_path / "rules.v4")
    assert "ipv4.filter.INPUT.rules" in result["diff"]["after"]


def test_apply_tests_then_restores_then_persists(tmp_path):
    applied = {
        "iptables-restore": "*filter\n:INPUT DROP [0:0]\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                            "-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    }
    applied["ip6tables-restore"] = applied["iptables-restore"]
    module = FakeModule(tmp_path, chains=CHAINS, persist=True, applied=applied)
    result = RulesetBackend(module).run()
    tools = module.tools_called()
    assert tools[:2] == [("iptables-save", []), ("ip6tables-save", [])]
    assert tools[2] == ("iptables-restore", ["--test", "--noflush"])
    assert tools[3] == ("ip6tables-restore", ["--test", "--noflush"])
    assert tools[4] == ("iptables-restore", ["--noflush"])
    assert tools[5] == ("ip6tables-restore", ["--noflush"])
    assert module.warnings == []  # the read-back equals the declaration
    assert result["persisted"] == [str(tmp_path / "rules.v4"), str(tmp_path / "rules.v6")]
    assert (tmp_path / "rules.v4").read_text().endswith("-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n")
    assert oct(os.stat(tmp_path / "rules.v4").st_mode & 0o777) == "0o640"
    assert result["rollback_token"] is None

    # second run against the applied state: nothing to do
    again = FakeModule(tmp_path, chains=CHAINS, persist=True, saves={
        "iptables-save": applied["iptables-restore"], "ip6tables-save": applied["ip6tables-restore"]})
    result = RulesetBackend(again).run()
    assert result["changed"] is False
    assert [call[0] for call in again.tools_called()] == ["iptables-save", "ip6tables-save"]


def test_readback_difference_is_warned(tmp_path):
    module = FakeModule(tmp_path, chains=CHAINS, family=["ipv4"])
    RulesetBackend(module).run()
    assert len(module.warnings) == 1
    assert "the next run will report a change" in module.warnings[0]


def test_invalid_rule_fails_before_anything_runs(tmp_path):
    module = FakeModule(tmp_path, chains=[{"name": "INPUT", "rules": ["-p tcp --dport 70000 -j ACCEPT"]}])
    with pytest.raises(ApplyError, match=r"chain INPUT rule 1 \(-p tcp --dport 70000 -j ACCEPT\): port 70000"):
        RulesetBackend(module).run()
    assert all(call[0].endswith("-save") for call in module.tools_called())


def test_restore_test_failure_names_the_rule(tmp_path):
    err = "iptables-restore v1.8.9 (nf_tables): Couldn't load match `foo':No such file or directory\n\nError occurred at line: 4\n"
    module = FakeModule(tmp_path, chains=[{"name": "INPUT", "rules": ["-i lo -j ACCEPT", "-m foo -j ACCEPT"]}],
                        family=["ipv4"], fail_restore={"iptables-restore": ("test", err)})
    with pytest.raises(ApplyError) as info:
        RulesetBackend(module).run()
    assert "nothing was changed" in info.value.msg
    assert "chain INPUT rule 2 (-m foo -j ACCEPT)" in info.value.msg
    assert not any(call[1] == ["--noflush"] for call in module.tools_called())


def test_ipv6_failure_puts_ipv4_back(tmp_path):
    module = FakeModule(tmp_path, chains=CHAINS, fail_restore={"ip6tables-restore": ("apply", "line 3 failed")})
    with pytest.raises(ApplyError, match="ipv4 was put back"):
        RulesetBackend(module).run()
    restores = [(tool, args, data) for tool, args, data in module.calls if args == ["--noflush"]]
    assert [r[0] for r in restores] == ["iptables-restore", "ip6tables-restore", "iptables-restore"]
    assert ":INPUT ACCEPT [0:0]" in restores[2][2]  # the undo payload


def test_missing_iptables_in_check_mode_assumes_empty(tmp_path):
    module = FakeModule(tmp_path, check_mode=True, chains=CHAINS)
    module.get_bin_path = lambda name, required=False: None
    result = RulesetBackend(module).run()
    assert result["changed"] is True
    assert "not installed" in module.warnings[0]
    module.check_mode = False
    with pytest.raises(ApplyError, match="install the iptables package"):
        RulesetBackend(module).run()


class FakePopen:
    started = []

    def __init__(self, args, **kwargs):
        self.args = args
        self.pid = 424242
        FakePopen.started.append((args, kwargs))


def test_rollback_is_armed_before_apply_and_confirm_persists(tmp_path, monkeypatch):
    monkeypatch.setattr(RulesetBackend, "_systemd", lambda self: False)
    monkeypatch.setattr(iptables_backend.subprocess, "Popen", FakePopen)
    killed = []
    monkeypatch.setattr(iptables_backend.os, "killpg", lambda pid, sig: killed.append(pid))
    save = fixture("debian12_docker_fail2ban.v4")
    module = FakeModule(tmp_path, chains=CHAINS, persist=True, rollback_timeout=30, family=["ipv4"],
                        saves={"iptables-save": save})
    result = RulesetBackend(module).run()
    token = result["rollback_token"]
    assert token and result["rollback_method"] == "process"
    assert result["persisted"] == []  # only after the confirmation
    state = tmp_path / "state"
    script = (state / (token + ".sh")).read_text()
    assert "--noflush < '%s/%s.ipv4'" % (state, token) in script
    assert (state / (token + ".ipv4.full")).read_text() == save
    assert "ip6tables" not in script  # only the family that changed is restored
    undo = (state / (token + ".ipv4")).read_text()
    assert ":INPUT ACCEPT [0:0]" in undo and "-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd" in undo
    assert FakePopen.started[-1][0] == ["/bin/sh", str(state / (token + ".sh")), "30"]
    assert FakePopen.started[-1][1]["start_new_session"] is True

    confirm = FakeModule(tmp_path, confirm=token)
    result = RulesetBackend(confirm).run()
    assert result["confirmed"] is True and result["changed"] is True
    assert killed == [424242]
    assert result["persisted"] == [str(tmp_path / "rules.v4")]
    assert not os.path.exists(state / (token + ".json"))
    with pytest.raises(ApplyError, match="confirmed already"):
        RulesetBackend(FakeModule(tmp_path, confirm=token)).run()


def test_confirm_after_rollback_fails_and_does_not_persist(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "abc123.json").write_text(json.dumps({
        "token": "abc123", "method": "systemd", "unit": "ironclad-iptables-rollback-abc123", "timeout": 5,
        "persist": {str(tmp_path / "rules.v4"): "x"}}))
    (state / "abc123.rolledback").write_text("")
    module = FakeModule(tmp_path, confirm="abc123")
    with pytest.raises(ApplyError, match="was rolled back") as info:
        RulesetBackend(module).run()
    assert info.value.extra == {"rolled_back": True}
    assert ("systemctl", ["stop", "ironclad-iptables-rollback-abc123.timer",
                          "ironclad-iptables-rollback-abc123.service"]) in module.tools_called()
    assert not os.path.exists(tmp_path / "rules.v4")


def test_systemd_rollback_uses_a_transient_timer(tmp_path, monkeypatch):
    monkeypatch.setattr(RulesetBackend, "_systemd", lambda self: True)
    module = FakeModule(tmp_path, chains=CHAINS, rollback_timeout=45, family=["ipv4"])
    result = RulesetBackend(module).run()
    run = next(args for tool, args in module.tools_called() if tool == "systemd-run")
    unit = "ironclad-iptables-rollback-" + result["rollback_token"]
    assert run[:2] == ["--unit", unit] and "--on-active" in run and "45s" in run
    tools = [call[0] for call in module.tools_called()]
    assert tools.index("systemd-run") < max(i for i, (t, a) in enumerate(module.tools_called()) if a == ["--noflush"])


@pytest.mark.parametrize("token", ["../etc", "", ".hidden"])
def test_confirm_refuses_odd_tokens(tmp_path, token):
    with pytest.raises(ApplyError):
        RulesetBackend(FakeModule(tmp_path, confirm=token)).confirm(token)


def test_unchanged_ruleset_but_missing_persist_file_is_written(tmp_path):
    saved = "*filter\n:INPUT DROP [0:0]\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n" \
            "-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n"
    module = FakeModule(tmp_path, chains=CHAINS, persist=True, family=["ipv4"], rollback_timeout=30,
                        saves={"iptables-save": saved})
    result = RulesetBackend(module).run()
    assert result["changed"] is True and result["rollback_token"] is None
    assert result["persisted"] == [str(tmp_path / "rules.v4")]
    assert result["actions"] == ["ipv4: write %s" % (tmp_path / "rules.v4")]


# -- over SSH: the lockout guard and the default rollback timer --------------------------------------

def test_a_ruleset_that_drops_the_session_is_refused_and_nothing_changes(tmp_path, monkeypatch):
    over_ssh(monkeypatch)
    module = FakeModule(tmp_path, chains=ADMIN_ONLY, family=["ipv4"], persist=True)
    with pytest.raises(ApplyError) as info:
        RulesetBackend(module).run()
    msg = info.value.msg
    assert msg.startswith("refusing to apply the ruleset, nothing was changed")
    assert "client 10.1.1.1, server port 22, found in process 321 (sudo)" in msg
    assert "a new SSH connection from 10.1.1.1 to port 22 is dropped by ipv4 filter INPUT: policy DROP" in msg
    assert "lockout_guard.force=true" in msg and "firewall_force" in msg
    assert info.value.extra["lockout_guard"]["problems"] == [
        "a new SSH connection from 10.1.1.1 to port 22 is dropped by ipv4 filter INPUT: policy DROP"]
    assert [tool for tool, _args in module.tools_called()] == ["iptables-save", "ip"]
    assert not os.path.exists(tmp_path / "rules.v4")


def test_check_mode_refuses_the_same_way(tmp_path, monkeypatch):
    over_ssh(monkeypatch)
    with pytest.raises(ApplyError, match="refusing to apply"):
        RulesetBackend(FakeModule(tmp_path, check_mode=True, chains=ADMIN_ONLY, family=["ipv4"])).run()


def test_a_ruleset_that_keeps_the_session_gets_the_default_rollback_timer(tmp_path, monkeypatch):
    over_ssh(monkeypatch)
    monkeypatch.setattr(RulesetBackend, "_systemd", lambda self: True)
    module = FakeModule(tmp_path, chains=CHAINS, family=["ipv4"], persist=True)
    result = RulesetBackend(module).run()
    assert result["lockout_guard"]["checked"] is True and result["lockout_guard"]["problems"] == []
    assert result["rollback_pending"] is True and result["rollback_timeout"] == 60
    run = next(args for tool, args in module.tools_called() if tool == "systemd-run")
    assert "60s" in run
    assert result["persisted"] == []  # written at the confirmation
    assert "arm a rollback timer: the previous ruleset comes back after 60 s unless confirmed" in result["actions"]
    assert any("armed by default" in w and "rollback_timeout: 0" in w for w in module.warnings)


def test_check_mode_over_ssh_says_which_timer_it_would_arm(tmp_path, monkeypatch):
    over_ssh(monkeypatch)
    module = FakeModule(tmp_path, check_mode=True, chains=CHAINS, family=["ipv4"])
    result = RulesetBackend(module).run()
    assert result["rollback_timeout"] == 60 and result["rollback_pending"] is False
    assert "arm a rollback timer: the previous ruleset comes back after 60 s unless confirmed" in result["actions"]
    assert [tool for tool, _args in module.tools_called()] == ["iptables-save", "ip"]


def test_rollback_timeout_0_given_applies_without_a_timer(tmp_path, monkeypatch):
    over_ssh(monkeypatch)
    module = FakeModule(tmp_path, chains=CHAINS, family=["ipv4"], persist=True, rollback_timeout=0)
    result = RulesetBackend(module).run()
    assert result["rollback_pending"] is False and result["rollback_token"] is None
    assert result["persisted"] == [str(tmp_path / "rules.v4")]
    assert "systemd-run" not in [tool for tool, _args in module.tools_called()]


def test_force_applies_with_a_warning_and_the_default_timer(tmp_path, monkeypatch):
    over_ssh(monkeypatch)
    monkeypatch.setattr(RulesetBackend, "_systemd", lambda self: True)
    module = FakeModule(tmp_path, chains=ADMIN_ONLY, family=["ipv4"], lockout_guard={"force": True})
    result = RulesetBackend(module).run()
    assert result["rollback_pending"] is True and result["rollback_timeout"] == 60
    assert result["lockout_guard"]["problems"] and "applied anyway" in result["lockout_guard"]["reason"]
    assert any(w.startswith("lockout guard overridden (lockout_guard.force)") for w in module.warnings)
    tools = [tool for tool, _args in module.tools_called()]
    assert tools.index("systemd-run") < tools.index("iptables-restore", tools.index("iptables-restore") + 1)


def test_without_a_session_there_is_no_default_timer(tmp_path):
    module = FakeModule(tmp_path, chains=ADMIN_ONLY, family=["ipv4"])
    result = RulesetBackend(module).run()
    assert result["rollback_pending"] is False and result["rollback_timeout"] == 0
    assert result["lockout_guard"]["session"] is None
    assert "does not run over SSH" in result["lockout_guard"]["reason"]


def test_a_change_off_the_input_path_has_no_default_timer(tmp_path, monkeypatch):
    over_ssh(monkeypatch)
    saved = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    module = FakeModule(tmp_path, chains=[{"name": "FORWARD", "policy": "DROP"}], family=["ipv4"],
                        saves={"iptables-save": saved})
    result = RulesetBackend(module).run()
    assert result["changed"] is True and result["rollback_pending"] is False
    assert result["lockout_guard"]["input_path_changed"] is False


def test_a_session_of_an_unmanaged_family_is_not_checked(tmp_path, monkeypatch):
    over_ssh(monkeypatch, dict(SESSION, client="fd00::5", server="fd00::20"))
    result = RulesetBackend(FakeModule(tmp_path, chains=ADMIN_ONLY, family=["ipv4"])).run()
    assert result["lockout_guard"]["checked"] is False and result["rollback_pending"] is False
    assert result["lockout_guard"]["reason"] == "the session is ipv6, which this call does not manage"


def test_client_address_given_by_the_controller(tmp_path):
    module = FakeModule(tmp_path, chains=ADMIN_ONLY, family=["ipv4"], lockout_guard={"client_address": "198.51.100.7"})
    with pytest.raises(ApplyError, match=re.escape("client 198.51.100.7, server port 22, found in lockout_guard.client_address")):
        RulesetBackend(module).run()
    inside = FakeModule(tmp_path, chains=ADMIN_ONLY, family=["ipv4"], lockout_guard={"client_address": "192.0.2.7"})
    assert RulesetBackend(inside).run()["lockout_guard"]["problems"] == []
    bad = FakeModule(tmp_path, chains=ADMIN_ONLY, family=["ipv4"], lockout_guard={"client_address": "admin-pc"})
    with pytest.raises(ApplyError, match=re.escape("lockout_guard.client_address must be an IPv4 or IPv6 address, not 'admin-pc'")):
        RulesetBackend(bad).run()


def test_server_port_given_by_the_controller(tmp_path, monkeypatch):
    over_ssh(monkeypatch)
    module = FakeModule(tmp_path, chains=CHAINS, family=["ipv4"], lockout_guard={"server_port": 2222})
    with pytest.raises(ApplyError, match=re.escape("a new SSH connection from 10.1.1.1 to port 2222 is dropped")):
        RulesetBackend(module).run()


def test_confirm_clears_rollback_pending(tmp_path, monkeypatch):
    over_ssh(monkeypatch)
    monkeypatch.setattr(RulesetBackend, "_systemd", lambda self: True)
    token = RulesetBackend(FakeModule(tmp_path, chains=CHAINS, family=["ipv4"])).run()["rollback_token"]
    assert RulesetBackend(FakeModule(tmp_path, check_mode=True, confirm=token)).run()["rollback_pending"] is True
    result = RulesetBackend(FakeModule(tmp_path, confirm=token)).run()
    assert result["confirmed"] is True and result["rollback_pending"] is False


@pytest.mark.parametrize("params, message", [
    ({"rollback_timeout": -1, "lockout_guard": None}, "rollback_timeout must be 0 (off) or a number of seconds, not -1"),
    ({"rollback_timeout": None, "lockout_guard": {"server_port": 70000}},
     "lockout_guard.server_port must be a port number (1-65535), not 70000"),
    ({"rollback_timeout": None, "lockout_guard": None}, None),
    ({"rollback_timeout": 0, "lockout_guard": {"server_port": 2222}}, None),
])
def test_parameter_errors(params, message):
    from ansible_collections.ironclad.infra.plugins.modules.iptables_ruleset import parameter_error

    class Params:
        pass

    module = Params()
    module.params = params
    assert parameter_error(module) == message
