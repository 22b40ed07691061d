"""Behaviour of the load balancers: TLS termination, spreading, failover, drain, validation, reloads.

Requests are made by files/lbclient.py on a backend host (another machine than the load balancer), so
every check crosses the scenario network like a real client would. Tests that disturb the lab (stop a
backend, drain, fail over) put everything back before they end.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import testinfra
from playbook_runs import ansible_playbook, recap

LBS = ["ict-haproxy-lb-d12", "ict-haproxy-lb-d13"]
WEB1, WEB2 = "ict-haproxy-web1-d12", "ict-haproxy-web2-d13"
WEBS = [WEB1, WEB2]
CLIENT = WEB2
SCENARIO = Path(__file__).resolve().parent.parent
REPO = SCENARIO.parent.parent

_hosts = {}


def docker(name):
    if name not in _hosts:
        _hosts[name] = testinfra.get_host("docker://" + name)
    return _hosts[name]


def lbclient(*args, on=CLIENT):
    return json.loads(docker(on).check_output("python3 /usr/local/bin/lbclient " + " ".join(args)))


def runtime_api(lb, command):
    script = (
        "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock'); "
        "s.sendall(sys.argv[1].encode()+b'\\n'); print(s.makefile().read())"
    )
    return docker(lb).check_output("python3 -c %s %s", script, command)


def server_states(lb, backend="web"):
    """{server: (operational, admin_flags)} from 'show servers state'."""
    lines = [line for line in runtime_api(lb, "show servers state " + backend).splitlines() if line.strip()]
    header = lines[1].lstrip("# ").split()
    states = {}
    for line in lines[2:]:
        row = dict(zip(header, line.split(), strict=False))
        states[row["srv_name"]] = (int(row["srv_op_state"]), int(row["srv_admin_state"]))
    return states


def wait_until(predicate, timeout=30, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def all_up(backend="web"):
    return all(state == (2, 0) for lb in LBS for state in server_states(lb, backend).values())


def worker_pids(lb):
    return sorted(docker(lb).check_output("ps -C haproxy -o pid=").split())


# --- TLS termination -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lb", LBS)
def test_https_requests_are_spread_across_both_backends(lb):
    result = lbclient("requests", lb, "--count", "20")
    assert result["errors"] == []
    assert result["ok"] == 20
    assert set(result["by_backend"]) == set(WEBS), result["by_backend"]
    assert result["headers"]["strict-transport-security"].startswith("max-age=63072000")


@pytest.mark.parametrize("lb", LBS)
def test_certificate_verifies_against_the_ca_with_the_lb_name(lb):
    good = lbclient("cert", lb, "--server-name", lb)
    assert good["verified"], good
    assert ["DNS", lb] in good["san"]
    wrong = lbclient("cert", lb, "--server-name", "not-the-lb.example")
    assert not wrong["verified"]
    assert "match" in wrong["error"] or "mismatch" in wrong["error"], wrong


@pytest.mark.parametrize("lb", LBS)
def test_http_is_redirected_to_https(lb):
    result = lbclient("redirect", lb, "--path", "'/some/page?x=1'")
    assert result["status"] in (301, 308)
    assert result["location"] == "https://%s/some/page?x=1" % lb


@pytest.mark.parametrize("client", WEBS)
@pytest.mark.parametrize("lb", LBS)
def test_only_tls_12_and_13_are_accepted(lb, client):
    result = lbclient("tls", lb, on=client)
    for old in ("TLSv1", "TLSv1.1"):
        assert not result[old]["accepted"], result
        # The server refused (alert), not this client: it offered the version.
        assert "protocol version" in result[old]["error"].lower() or "unsupported protocol" in result[old]["error"].lower(), result[old]
    assert result["TLSv1.2"]["accepted"] and result["TLSv1.2"]["version"] == "TLSv1.2", result
    assert result["TLSv1.3"]["accepted"] and result["TLSv1.3"]["version"] == "TLSv1.3", result
    assert "GCM" in result["TLSv1.2"]["cipher"] or "CHACHA20" in result["TLSv1.2"]["cipher"]


@pytest.mark.parametrize("lb", LBS)
def test_traffic_to_backends_is_re_encrypted_and_verified(lb):
    result = lbclient("requests", lb, "--count", "10", "--path", "/secure")
    assert result["errors"] == []
    assert set(result["by_backend"]) == {"tls:" + web for web in WEBS}, result["by_backend"]


@pytest.mark.parametrize("lb", LBS)
def test_client_certificates_are_required_where_configured(lb):
    refused = lbclient("requests", lb, "--port", "9443", "--count", "1")
    assert refused["ok"] == 0 and len(refused["errors"]) == 1, refused
    # The host's own pki bundle carries clientAuth and chains to the same CA.
    accepted = lbclient("requests", lb, "--port", "9443", "--count", "2", "--client-cert", "/etc/ironclad/pki/host.bundle.pem")
    assert accepted["errors"] == [] and accepted["ok"] == 2, accepted


# --- Admin surface -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lb", LBS)
def test_stats_and_prometheus_answer_only_on_the_admin_address(lb):
    fetch = 'python3 -c "import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())" %s'
    metrics = docker(lb).check_output(fetch, "http://127.0.0.1:8404/metrics")
    assert "haproxy_backend_active_servers" in metrics or "haproxy_server_status" in metrics
    stats = docker(lb).check_output(fetch, "http://127.0.0.1:8404/stats;csv")
    assert "ict-haproxy-web1-d12" in stats
    # From another host, the admin port is closed.
    remote = docker(CLIENT).run("python3 -c \"import socket; socket.create_connection(('%s', 8404), timeout=5)\"" % lb)
    assert remote.rc != 0 and "refused" in remote.stderr.lower(), remote.stderr


@pytest.mark.parametrize("lb", LBS)
def test_runtime_api_allows_seamless_reload(lb):
    info = runtime_api(lb, "show cli level")
    assert "admin" in info
    config = docker(lb).check_output("grep 'stats socket' /etc/haproxy/haproxy.cfg")
    assert "expose-fd listeners" in config
    # Debian's unit runs HAProxy in master-worker mode.
    assert "-Ws" in docker(lb).check_output("ps -o args= -C haproxy")


# --- Availability --------------------------------------------------------------------------------------


def test_a_request_in_flight_survives_a_reload():
    lb = LBS[0]
    before = worker_pids(lb)
    outcome = {}

    def slow_request():
        outcome.update(lbclient("requests", lb, "--count", "1", "--path", "'/slow?4'"))

    thread = threading.Thread(target=slow_request)
    thread.start()
    time.sleep(1.5)
    docker(lb).check_output("systemctl reload haproxy")
    thread.join(timeout=30)
    assert outcome.get("ok") == 1, outcome
    assert worker_pids(lb) != before, "the reload did not start a new worker"


@pytest.mark.parametrize("keepalive", [False, True], ids=["new-connections", "keep-alive"])
def test_reloads_under_load_lose_no_request(keepalive):
    # New connections prove the socket handover (expose-fd listeners); keep-alive connections prove that
    # old workers close idle connections politely (option idle-close-on-response).
    lb = LBS[0]
    outcome = {}

    def load():
        outcome.update(lbclient("load", lb, "--duration", "8", "--concurrency", "4", *(["--keepalive"] if keepalive else [])))

    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(1.5)
    for _reload in range(3):
        docker(lb).check_output("systemctl reload haproxy")
        time.sleep(1.5)
    thread.join(timeout=60)
    assert outcome["requests"] > 0
    assert outcome["errors"] == 0, outcome["error_samples"]


def test_a_stopped_backend_loses_no_request():
    docker(WEB1).check_output("systemctl stop whoami")
    try:
        for lb in LBS:
            result = lbclient("requests", lb, "--count", "30")
            assert result["errors"] == [], result
            assert result["ok"] == 30
            assert set(result["by_backend"]) == {WEB2}, result["by_backend"]
        assert wait_until(lambda: all(server_states(lb)[WEB1][0] == 0 for lb in LBS), timeout=15), "web1 not marked DOWN"
    finally:
        docker(WEB1).check_output("systemctl start whoami")
    assert wait_until(all_up, timeout=30), "web1 did not come back UP"


def test_drain_playbook_drains_and_re_enables_a_server():
    playbook = REPO / "playbooks" / "haproxy_drain.yml"
    drained = ansible_playbook(str(playbook), "-e", "haproxy_drain_targets=%s haproxy_drain_action=drain" % WEB1)
    try:
        assert drained.returncode == 0, drained.stdout[-3000:] + drained.stderr[-2000:]
        for lb in LBS:
            assert server_states(lb)[WEB1][1] & 0x01, "web1 is not in maintenance on %s" % lb
            result = lbclient("requests", lb, "--count", "10")
            assert result["errors"] == [] and set(result["by_backend"]) == {WEB2}, result
    finally:
        enabled = ansible_playbook(str(playbook), "-e", "haproxy_drain_targets=%s haproxy_drain_action=enable" % WEB1)
    assert enabled.returncode == 0, enabled.stdout[-3000:] + enabled.stderr[-2000:]
    assert all_up()
    for lb in LBS:
        assert set(lbclient("requests", lb, "--count", "10")["by_backend"]) == set(WEBS)


# --- Validation ----------------------------------------------------------------------------------------


def test_a_broken_backend_is_refused_and_the_running_haproxy_is_untouched():
    # This passes the argument spec and the haproxy_backends filter (whose refusals the unit tests cover):
    # only `haproxy -c` can tell, and it must stop the file before it replaces the live one.
    backends = [{"name": "web", "group": "webservers", "port": 8080, "balance": "fastest-please"}]
    lb = LBS[0]
    config = docker(lb).file("/etc/haproxy/haproxy.cfg").content_string
    pids = worker_pids(lb)
    run = ansible_playbook(
        str(SCENARIO / "apply_haproxy.yml"),
        *("--limit", lb, "--tags", "haproxy_config", "-e", json.dumps({"haproxy_backends": backends})),
    )
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    assert "failed to validate" in output.lower(), output[-3000:]
    assert "balance only supports" in output, output[-3000:]
    assert docker(lb).file("/etc/haproxy/haproxy.cfg").content_string == config
    assert worker_pids(lb) == pids, "HAProxy was reloaded or restarted"
    result = lbclient("requests", lb, "--count", "10")
    assert result["errors"] == [] and set(result["by_backend"]) == set(WEBS)


def test_a_bad_address_and_port_on_the_running_haproxy_are_refused_and_it_keeps_serving():
    # Values the collection judges itself: refused with the variable's name before the package, the file
    # or the service is touched; the running HAProxy keeps its workers and serves; the corrected run passes.
    lb = LBS[0]
    servers = [{"name": "app1", "address": "10.0.0.5"}, {"name": "app2", "address": "10.0.0.300"}]
    backends = [{"name": "web", "port": 8080, "servers": servers}]
    config = docker(lb).file("/etc/haproxy/haproxy.cfg").content_string
    pids = worker_pids(lb)
    run = ansible_playbook(
        str(SCENARIO / "apply_haproxy.yml"),
        *("--limit", lb, "-e", json.dumps({"haproxy_backends": backends, "haproxy_stats_port": 70000})),
    )
    output = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0, output[-3000:]
    assert "haproxy: bad input, nothing was changed" in output, output[-3000:]
    assert ("haproxy_backends[0].servers[1].address must be an IP address (e.g. 10.0.0.5, fd00::5) or a host name, "
            "got '10.0.0.300'") in output, output[-3000:]
    assert "haproxy_stats_port must be a port 1-65535, got 70000" in output, output[-3000:]
    assert docker(lb).file("/etc/haproxy/haproxy.cfg").content_string == config
    assert worker_pids(lb) == pids, "HAProxy was reloaded or restarted"
    result = lbclient("requests", lb, "--count", "10")
    assert result["errors"] == [] and set(result["by_backend"]) == set(WEBS)
    fixed = ansible_playbook(str(SCENARIO / "apply_haproxy.yml"), "--limit", lb)
    assert fixed.returncode == 0, (fixed.stdout + fixed.stderr)[-3000:]
    assert recap(fixed.stdout)[lb]["changed"] == 0, fixed.stdout[-3000:]
    assert worker_pids(lb) == pids


# --- Keepalived pair -----------------------------------------------------------------------------------


def vip_holder():
    holders = [lb for lb in LBS if ".250/" in docker(lb).check_output("ip -4 -o addr show dev eth0")]
    return holders


def test_the_floating_address_moves_when_haproxy_stops():
    assert wait_until(lambda: len(vip_holder()) == 1, timeout=20), vip_holder()
    first = vip_holder()[0]
    assert first == LBS[0], "the higher priority load balancer should hold the address"
    vip = docker(first).check_output("ip -4 -o addr show dev eth0 | grep -o '[0-9.]*\\.250'")
    assert lbclient("requests", vip, "--count", "4", "--server-name", vip)["ok"] == 4
    docker(first).check_output("systemctl stop haproxy")
    try:
        assert wait_until(lambda: vip_holder() == [LBS[1]], timeout=20), vip_holder()
        result = lbclient("requests", vip, "--count", "10", "--server-name", vip)
        assert result["errors"] == [] and result["ok"] == 10, result
    finally:
        docker(first).check_output("systemctl start haproxy")
    assert wait_until(lambda: vip_holder() == [LBS[0]], timeout=20), vip_holder()
