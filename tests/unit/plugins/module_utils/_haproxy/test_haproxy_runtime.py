from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._haproxy.backend import ServerStateBackend, unix_transport
from ansible_collections.ironclad.infra.plugins.module_utils._haproxy.runtime import (
    ADMF_CMAINT,
    ADMF_FDRAIN,
    ADMF_FMAINT,
    HAProxyRuntimeError,
    RuntimeAPI,
    admin_state,
    check_answer,
    describe_admin_flags,
    parse_servers_state,
    parse_stat_csv,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
WEB1, WEB2 = "ict-haproxy-web1-d12", "ict-haproxy-web2-d13"

SERVERS_STATE_HEADER = (
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
    "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state "
    "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port "
    "srv_check_addr srv_agent_addr srv_agent_port"
)
STAT_HEADER = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight"


# --- Parsers (fixtures captured from HAProxy 2.6 / Debian 12 and 3.0 / Debian 13) --------------------


@pytest.mark.parametrize("fixture", ["haproxy_show_servers_state_2.6.txt", "haproxy_show_servers_state_3.0.txt"])
def test_servers_state_of_both_debian_releases(fixture):
    servers = parse_servers_state((FIXTURES / fixture).read_text())
    assert [server["server"] for server in servers] == [WEB1, WEB2]
    first = servers[0]
    assert first["backend"] == "web"
    assert first["state"] == "ready"
    assert first["operational"] == "UP"
    assert first["weight"] == 1
    assert first["srv_port"] == "8080"


def test_servers_state_reads_drain_maint_and_weight():
    servers = parse_servers_state((FIXTURES / "haproxy_show_servers_state_3.0_drain_maint.txt").read_text())
    by_name = {server["server"]: server for server in servers}
    assert by_name[WEB1]["state"] == "drain"
    assert by_name[WEB1]["operational"] == "UP"
    assert by_name[WEB2]["state"] == "maint"
    assert by_name[WEB2]["operational"] == "DOWN"
    assert by_name[WEB2]["weight"] == 50


def test_servers_state_rejects_an_error_answer():
    with pytest.raises(HAProxyRuntimeError, match="Unexpected answer"):
        parse_servers_state("Unknown command.\n")


def test_servers_state_needs_a_header():
    with pytest.raises(HAProxyRuntimeError, match="header"):
        parse_servers_state("1\n4 web 1 a 10.0.0.1 2 0 1 1\n")


def test_empty_answer_means_no_servers():
    assert parse_servers_state("") == []


def test_stat_csv():
    rows = parse_stat_csv((FIXTURES / "haproxy_show_stat_2.6.csv").read_text())
    assert {(row["pxname"], row["svname"]) for row in rows} == {
        ("web", WEB1),
        ("web", WEB2),
        ("web_tls", WEB1),
        ("web_tls", WEB2),
    }
    assert all(row["status"] == "UP" for row in rows)
    assert rows[0]["scur"] == "0"


def test_stat_csv_rejects_garbage():
    with pytest.raises(HAProxyRuntimeError):
        parse_stat_csv("Permission denied\n")


@pytest.mark.parametrize(
    "flags, state",
    [(0, "ready"), (ADMF_FDRAIN, "drain"), (ADMF_FMAINT, "maint"), (ADMF_FMAINT | ADMF_FDRAIN, "maint"), (ADMF_CMAINT, "ready")],
)
def test_admin_state(flags, state):
    assert admin_state(flags) == state


def test_describe_admin_flags():
    assert describe_admin_flags(ADMF_FDRAIN | ADMF_CMAINT) == ["disabled in the configuration", "forced drain"]


def test_check_answer_accepts_silence_and_refuses_text():
    assert check_answer("set server a/b state drain", "\n") == "\n"
    with pytest.raises(HAProxyRuntimeError, match="No such server"):
        check_answer("set server a/b state drain", "No such server.\n")


def test_unreachable_socket_gives_a_hint(tmp_path):
    api = RuntimeAPI(unix_transport(str(tmp_path / "missing.sock"), 0.5))
    with pytest.raises(HAProxyRuntimeError, match="stats socket"):
        api.execute("show info")


# --- A fake HAProxy behind the runtime API --------------------------------------------------------------


class FakeHAProxy:
    """Answers the commands the manager sends, like HAProxy does; sessions drain by one per poll."""

    def __init__(self, servers, sessions=0, drain_per_poll=1, comes_up_after=0):
        # servers: {name: {"admin": int, "op": int, "weight": int}}
        self.servers = servers
        self.sessions = {name: sessions for name in servers}
        self.drain_per_poll = drain_per_poll
        self.comes_up_after = comes_up_after
        self.commands = []

    def __call__(self, command):
        self.commands.append(command)
        words = command.split()
        if command.startswith("show servers state"):
            if words[3] != "web":
                return "Can't find backend.\n"
            lines = ["1", SERVERS_STATE_HEADER]
            for index, (name, server) in enumerate(self.servers.items(), start=1):
                if server["op"] == 0 and not server["admin"] & ADMF_FMAINT:
                    if self.comes_up_after <= 0:
                        server["op"] = 2
                    self.comes_up_after -= 1
                lines.append(
                    "4 web %d %s 10.0.0.%d %d %d %d 1 5 15 3 3 6 0 0 0 - 8080 - 0 0 - - 0"
                    % (index, name, index, server["op"], server["admin"], server["weight"])
                )
            return "\n".join(lines) + "\n\n"
        if command.startswith("show stat"):
            lines = [STAT_HEADER]
            for name in self.servers:
                lines.append("web,%s,0,0,%d,0,,0,0,0,,0,,0,0,0,0,UP,1," % (name, self.sessions[name]))
                self.sessions[name] = max(0, self.sessions[name] - self.drain_per_poll)
            return "\n".join(lines) + "\n\n"
        if words[:2] == ["set", "server"]:
            name = words[2].partition("/")[2]
            if name not in self.servers:
                return "No such server.\n"
            if words[3] == "state":
                server = self.servers[name]
                if words[4] == "ready":
                    server["admin"] &= ~(ADMF_FMAINT | ADMF_FDRAIN)
                elif words[4] == "drain":
                    server["admin"] = (server["admin"] & ~ADMF_FMAINT) | ADMF_FDRAIN
                elif words[4] == "maint":
                    server["admin"] |= ADMF_FMAINT
                    server["op"] = 0
                return "\n"
            if words[3] == "weight":
                self.servers[name]["weight"] = int(words[4])
                return "\n"
        if words[:3] == ["shutdown", "sessions", "server"]:
            self.sessions[words[3].partition("/")[2]] = 0
            return "\n"
        return "Unknown command.\n"

    def sent(self, prefix):
        return [command for command in self.commands if command.startswith(prefix)]


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def params(**overrides):
    base = {
        "backend": "web",
        "server": "web1",
        "state": "ready",
        "drain_first": True,
        "weight": None,
        "wait": True,
        "wait_timeout": 10,
        "wait_interval": 1.0,
        "on_timeout": "fail",
    }
    base.update(overrides)
    return base


def manager(fake, check_mode=False, **overrides):
    clock = FakeClock()
    return ServerStateBackend(RuntimeAPI(fake), params(**overrides), check_mode=check_mode, clock=clock, sleep=clock.sleep)


def ready_servers():
    return {"web1": {"admin": 0, "op": 2, "weight": 1}, "web2": {"admin": 0, "op": 2, "weight": 1}}


def test_drain_waits_for_sessions_and_reports_change():
    fake = FakeHAProxy(ready_servers(), sessions=3)
    result = manager(fake, state="drain").run()
    assert result["changed"] is True
    assert result["previous_state"] == "ready" and result["state"] == "drain"
    assert result["drained"] is True and result["sessions"] == 0
    assert result["waited"] == 3.0
    assert fake.sent("set server") == ["set server web/web1 state drain"]
    assert fake.servers["web1"]["admin"] == ADMF_FDRAIN
    assert result["diff"]["before"] == {"web/web1.state": "ready"}
    assert result["diff"]["after"] == {"web/web1.state": "drain"}
    assert result["actions"] == ["set web/web1 to drain"]


def test_same_state_changes_nothing():
    servers = ready_servers()
    servers["web1"]["admin"] = ADMF_FDRAIN
    fake = FakeHAProxy(servers)
    result = manager(fake, state="drain").run()
    assert result["changed"] is False
    assert fake.sent("set server") == []
    assert result["actions"] == []


def test_check_mode_reports_but_does_not_act_or_wait():
    fake = FakeHAProxy(ready_servers(), sessions=5)
    result = manager(fake, check_mode=True, state="maint").run()
    assert result["changed"] is True
    assert result["state"] == "maint"
    assert fake.sent("set server") == []
    assert fake.sent("show stat") == []


def test_maint_drains_first_then_sets_maint():
    fake = FakeHAProxy(ready_servers(), sessions=2)
    result = manager(fake, state="maint").run()
    assert fake.sent("set server") == ["set server web/web1 state drain", "set server web/web1 state maint"]
    assert result["drained"] is True
    assert result["actions"] == ["drain web/web1, then set it to maint"]
    assert fake.servers["web1"]["admin"] & ADMF_FMAINT


def test_maint_without_drain_first_goes_at_once():
    fake = FakeHAProxy(ready_servers(), sessions=0)
    manager(fake, state="maint", drain_first=False).run()
    assert fake.sent("set server") == ["set server web/web1 state maint"]


def test_maint_from_drain_does_not_drain_again():
    servers = ready_servers()
    servers["web1"]["admin"] = ADMF_FDRAIN
    fake = FakeHAProxy(servers)
    manager(fake, state="maint").run()
    assert fake.sent("set server") == ["set server web/web1 state maint"]


def test_timeout_fails_by_default_and_leaves_the_server_drained():
    fake = FakeHAProxy(ready_servers(), sessions=100)
    result = manager(fake, state="maint", wait_timeout=3).run()
    assert result["failed"] is True
    assert "wait_timeout" in result["msg"] and "on_timeout=shutdown_sessions" in result["msg"]
    assert result["drained"] is False and result["sessions"] > 0
    assert result["state"] == "drain"
    assert fake.sent("set server") == ["set server web/web1 state drain"]


def test_timeout_with_shutdown_sessions_cuts_them():
    fake = FakeHAProxy(ready_servers(), sessions=100)
    result = manager(fake, state="drain", wait_timeout=2, on_timeout="shutdown_sessions").run()
    assert "failed" not in result
    assert fake.sent("shutdown") == ["shutdown sessions server web/web1"]
    assert result["sessions"] == 0
    assert any("shut down" in action for action in result["actions"])


def test_timeout_with_continue_succeeds_and_reports_sessions():
    fake = FakeHAProxy(ready_servers(), sessions=100)
    result = manager(fake, state="drain", wait_timeout=2, on_timeout="continue").run()
    assert "failed" not in result
    assert result["drained"] is False and result["sessions"] > 0


def test_no_wait_does_not_poll_sessions():
    fake = FakeHAProxy(ready_servers(), sessions=9)
    result = manager(fake, state="drain", wait=False).run()
    assert fake.sent("show stat") == []
    assert result["drained"] is None


def test_ready_waits_until_health_checks_pass():
    servers = ready_servers()
    servers["web1"].update(admin=ADMF_FMAINT, op=0)
    fake = FakeHAProxy(servers, comes_up_after=2)
    result = manager(fake, state="ready").run()
    assert result["changed"] is True
    assert result["operational"] == "UP"
    assert result["waited"] >= 1.0


def test_ready_fails_when_the_server_stays_down():
    servers = ready_servers()
    servers["web1"].update(admin=ADMF_FMAINT, op=0)
    fake = FakeHAProxy(servers, comes_up_after=1000)
    result = manager(fake, state="ready", wait_timeout=3).run()
    assert result["failed"] is True
    assert "health checks" in result["msg"]


def test_weight_is_set_and_tracked():
    fake = FakeHAProxy(ready_servers())
    result = manager(fake, state="ready", weight=50).run()
    assert fake.sent("set server") == ["set server web/web1 weight 50"]
    assert result["diff"]["after"] == {"web/web1.weight": 50}
    assert result["weight"] == 50


def test_unknown_server_lists_the_known_ones():
    fake = FakeHAProxy(ready_servers())
    with pytest.raises(HAProxyRuntimeError, match=r"not in backend 'web'.*web1, web2"):
        manager(fake, server="web9").run()


def test_unknown_backend():
    fake = FakeHAProxy(ready_servers())
    with pytest.raises(HAProxyRuntimeError, match="Backend 'api' does not exist"):
        manager(fake, backend="api").run()


def test_configuration_maintenance_cannot_be_changed_at_runtime():
    servers = ready_servers()
    servers["web1"]["admin"] = ADMF_CMAINT
    with pytest.raises(HAProxyRuntimeError, match="configuration"):
        manager(FakeHAProxy(servers), state="ready").run()


def test_refusal_from_haproxy_is_raised():
    fake = FakeHAProxy(ready_servers())

    def refusing(command):
        if command.startswith("set server"):
            return "Permission denied\n"
        return fake(command)

    with pytest.raises(HAProxyRuntimeError, match="Permission denied"):
        ServerStateBackend(RuntimeAPI(refusing), params(state="drain")).run()
