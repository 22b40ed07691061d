"""Behaviour of the docker role on the Docker hosts, seen from the hosts and from the two clients.

Tests that take the ``host`` fixture run once per Docker host (``docker://`` backend, fast); the
playbook-driven tests (invalid setting, rollback) run once for all hosts.
"""

from __future__ import annotations

import json
import os
import re
import shlex

import pytest
from lab_hosts import name_of, on
from playbook_runs import ansible_playbook, recap
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY_FILE = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = AnsibleRunner(INVENTORY_FILE)
DOCKER_HOSTS = sorted(RUNNER.get_hosts("docker_hosts"))
ALLOWED = "ict-docker-allowed-d12"
BLOCKED = "ict-docker-blocked-d12"

testinfra_hosts = ["docker://" + name for name in DOCKER_HOSTS]

IMAGE = "ironclad/busybox:local"
PKI = "/etc/ironclad/pki"

# An HTTP(S) client for the clients: python3 is on every lab host. Prints the body, or the error class.
CLIENT = r"""
import socket, ssl, sys, urllib.request
url, cert = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
context = None
if url.startswith("https"):
    context = ssl.create_default_context(cafile="/etc/ironclad/pki/ca.crt")
    if cert == "pki":
        context.load_cert_chain("/etc/ironclad/pki/host.crt", "/etc/ironclad/pki/host.key")
    elif cert:
        context.load_cert_chain(cert + ".crt", cert + ".key")
try:
    with urllib.request.urlopen(url, timeout=4, context=context) as answer:
        print("OK", answer.status, answer.read().decode().strip())
except Exception as exc:
    print("ERROR", type(exc).__name__, getattr(exc, "reason", exc))
"""


def fetch(name, url, cert=""):
    """Fetch ``url`` from lab host ``name``; return the client's one-line verdict."""
    return on(name).check_output("python3 -c %s %s %s" % (shlex.quote(CLIENT), url, cert))


def docker_info(host):
    return json.loads(host.check_output("docker info --format '{{json .}}'"))


def address_of(host, name):
    """IPv4 address of lab host ``name`` as ``host`` resolves it (scenario network DNS)."""
    return host.check_output("getent ahostsv4 %s | awk '{print $1; exit}'" % name)


# --- the daemon runs with the rendered settings -----------------------------------------------------

def test_docker_info_shows_the_rendered_settings(host):
    info = docker_info(host)
    assert info["Driver"] == "vfs"
    assert info["LiveRestoreEnabled"] is True
    assert info["LoggingDriver"] == "json-file"
    assert info["DefaultAddressPools"] == [{"Base": "10.213.0.0/16", "Size": 24}]
    assert info["RegistryConfig"]["Mirrors"] == ["https://mirror.ironclad.test/"]


def test_default_bridge_takes_its_subnet_from_the_pool(host):
    subnet = host.check_output("docker network inspect bridge --format '{{(index .IPAM.Config 0).Subnet}}'")
    assert subnet.startswith("10.213.") and subnet.endswith("/24")


def test_container_from_the_imported_image_runs_and_its_output_is_read_back(host):
    marker = "hello-from-%s" % name_of(host)
    assert host.check_output("docker run --rm %s echo %s" % (IMAGE, marker)) == marker


def test_containers_cannot_gain_privileges(host):
    assert host.check_output("docker run --rm %s grep NoNewPrivs /proc/self/status" % IMAGE).split() == ["NoNewPrivs:", "1"]


def test_container_logs_rotate(host):
    config = json.loads(host.check_output("docker inspect web --format '{{json .HostConfig.LogConfig}}'"))
    assert config == {"Type": "json-file", "Config": {"max-file": "3", "max-size": "5m"}}


def test_published_ports_need_no_userland_proxy(host):
    assert host.run("pgrep -x docker-proxy").rc == 1
    assert host.check_output("docker port web 80/tcp").startswith("0.0.0.0:8080")


def http_from_container(host, address, port, path="/"):
    """GET from inside a new container with busybox nc (Debian 12's static busybox wget crashes)."""
    return host.run("docker run --rm %s sh -c \"printf 'GET %s HTTP/1.0\\r\\n\\r\\n' | nc -w 4 %s %s\""
                    % (IMAGE, path, address, port))


def test_containers_on_the_default_bridge_cannot_talk_to_each_other(host):
    web = host.check_output("docker inspect web --format '{{.NetworkSettings.IPAddress}}'")
    probe = http_from_container(host, web, 80)
    assert "HTTP/1." not in probe.stdout, "icc=false should stop container-to-container traffic"
    assert "timed out" in probe.stderr


def test_docker_group_member_can_use_docker(host):
    assert "docker" in host.user("ironclad-ops").groups
    assert host.run("runuser -u ironclad-ops -- docker version --format '{{.Server.Version}}'").rc == 0


def test_dockerd_takes_its_settings_from_daemon_json_only(host):
    """The drop-in removes the unit's "-H fd://", which would conflict with "hosts" in daemon.json."""
    command = host.check_output("systemctl show docker.service --property ExecStart")
    assert "--config-file /etc/docker/daemon.json" in command
    assert " -H " not in command


# --- published port, DOCKER-USER policy, firewall ---------------------------------------------------

def test_published_port_is_reachable_from_the_allowed_host(host):
    verdict = fetch(ALLOWED, "http://%s:8080/" % name_of(host))
    assert verdict == "OK 200 hello from a container on %s" % name_of(host)


def test_published_port_is_blocked_for_other_hosts(host):
    verdict = fetch(BLOCKED, "http://%s:8080/" % name_of(host))
    assert verdict.startswith("ERROR"), verdict


def test_containers_reach_other_lab_hosts(host, client_web_server):
    probe = http_from_container(host, address_of(host, ALLOWED), 8000, "/marker.txt")
    assert probe.rc == 0, probe.stderr
    assert probe.stdout.startswith("HTTP/1.0 200") and probe.stdout.rstrip().endswith("outbound-ok")


# --- TLS API ------------------------------------------------------------------------------------------

def test_tls_api_answers_a_client_with_a_ca_signed_certificate(host):
    verdict = fetch(ALLOWED, "https://%s:2376/version" % name_of(host), "pki")
    assert verdict.startswith("OK 200 "), verdict
    assert json.loads(verdict.split(" ", 2)[2])["ApiVersion"]


def test_tls_api_refuses_a_client_without_certificate(host):
    verdict = fetch(ALLOWED, "https://%s:2376/version" % name_of(host))
    assert verdict.startswith("ERROR"), verdict


def test_tls_api_refuses_a_self_signed_client_certificate(host, self_signed_client):
    verdict = fetch(ALLOWED, "https://%s:2376/version" % name_of(host), self_signed_client)
    assert verdict.startswith("ERROR"), verdict


def test_tls_api_port_is_closed_to_hosts_outside_the_admin_group(host):
    verdict = fetch(BLOCKED, "https://%s:2376/version" % name_of(host), "pki")
    assert verdict.startswith("ERROR"), verdict


def test_docker_cli_talks_to_the_tls_api(host):
    """The docker CLI over TCP with the host's PKI certificate, as a remote admin would use it."""
    out = host.check_output(
        "docker --tlsverify --tlscacert %s/ca.crt --tlscert %s/host.crt --tlskey %s/host.key "
        "-H tcp://%s:2376 version --format '{{.Server.Os}}'" % (PKI, PKI, PKI, name_of(host)))
    assert out == "linux"


# --- fixtures -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client_web_server():
    """A tiny HTTP server on the allowed client for outbound container traffic."""
    client = on(ALLOWED)
    client.check_output("mkdir -p /srv/www && echo outbound-ok > /srv/www/marker.txt")
    client.run("systemctl stop ironclad-probe-web.service 2>/dev/null; systemctl reset-failed ironclad-probe-web.service 2>/dev/null")
    client.check_output("systemd-run --unit ironclad-probe-web --working-directory /srv/www python3 -m http.server 8000")
    client.check_output("for i in $(seq 20); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 8000), 1)' "
                        "&& exit 0; sleep 0.5; done; exit 1")
    yield
    client.run("systemctl stop ironclad-probe-web.service")


@pytest.fixture(scope="module")
def self_signed_client():
    """A client certificate not signed by the collection's CA, on the allowed client."""
    client = on(ALLOWED)
    base = "/root/self-signed"
    client.check_output("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                        "-subj /CN=intruder -keyout %s.key -out %s.crt 2>/dev/null" % (base, base))
    return base


# --- playbook runs: invalid setting, rollback -------------------------------------------------------

def daemon_state(name):
    h = on(name)
    return {
        "daemon.json": h.check_output("sha256sum /etc/docker/daemon.json"),
        "pid": h.check_output("systemctl show --property MainPID --value docker.service"),
    }


def test_invalid_daemon_setting_is_refused_and_the_daemon_keeps_working():
    before = {name: daemon_state(name) for name in DOCKER_HOSTS}
    run = ansible_playbook("invalid.yml")
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    for name in DOCKER_HOSTS:
        assert recap(output)[name]["failed"] == 1, output
    for name in DOCKER_HOSTS:
        failure = re.search(r"fatal: \[%s\]: FAILED! => ([^\n]*)" % re.escape(name), output)
        # Refused by the role's input check, before the packages, daemon.json or the service.
        assert failure and "docker: bad input, nothing was changed" in failure.group(1), output
        assert "docker_daemon_log_max_size (daemon.json log-opts.max-size): '10 parsecs' is not a size" in failure.group(1), output
    for name in DOCKER_HOSTS:
        assert daemon_state(name) == before[name], "daemon.json or dockerd changed on %s" % name
        assert on(name).check_output("docker inspect web --format '{{.State.Running}}'") == "true"
        assert fetch(ALLOWED, "http://%s:8080/" % name).startswith("OK 200")


def test_setting_dockerd_refuses_at_start_is_rolled_back():
    before = {name: daemon_state(name)["daemon.json"] for name in DOCKER_HOSTS}
    started = {name: on(name).check_output("docker inspect web --format '{{.State.StartedAt}}'") for name in DOCKER_HOSTS}
    run = ansible_playbook("rollback.yml")
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    for name in DOCKER_HOSTS:
        failures = re.findall(r"fatal: \[%s\]: FAILED! => ([^\n]*)" % re.escape(name), output)
        message = next((m for m in failures if "did not start" in m), output[-3000:])
        assert "the previous file was restored and Docker restarted with it" in message, message
        assert "prerequisites for driver not satisfied" in message, message
        h = on(name)
        assert daemon_state(name)["daemon.json"] == before[name]
        assert "~" not in h.check_output("ls /etc/docker"), "the backup of daemon.json was left behind"
        assert docker_info(h)["Driver"] == "vfs"
        # live-restore: the container kept running while dockerd was down
        assert h.check_output("docker inspect web --format '{{.State.StartedAt}}'") == started[name]
        assert fetch(ALLOWED, "http://%s:8080/" % name).startswith("OK 200")


# --- last: a firewall apply while containers run (changes the ruleset, then restores it) -------------

@pytest.fixture(scope="module")
def firewall_reapplied():
    run = ansible_playbook("firewall_reapply.yml", "-e", "reapply_marker=true")
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert all(recap(output)[name]["changed"] >= 1 for name in DOCKER_HOSTS), output[-3000:]
    yield
    run = ansible_playbook("firewall_reapply.yml")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]


def test_firewall_apply_keeps_container_networking(firewall_reapplied, client_web_server):
    """Not per host (it would run before the check-mode test): one apply, then every Docker host."""
    for name in DOCKER_HOSTS:
        host = on(name)
        assert "ironclad-test-reapply" in host.check_output("iptables -S INPUT")
        assert "--to-destination" in host.check_output("iptables -t nat -S DOCKER")
        assert fetch(ALLOWED, "http://%s:8080/" % name).startswith("OK 200")
        assert fetch(BLOCKED, "http://%s:8080/" % name).startswith("ERROR")
        probe = http_from_container(host, address_of(host, ALLOWED), 8000, "/marker.txt")
        assert probe.stdout.rstrip().endswith("outbound-ok"), probe.stderr
        marker = "after-firewall-%s" % name
        assert host.check_output("docker run --rm %s echo %s" % (IMAGE, marker)) == marker
