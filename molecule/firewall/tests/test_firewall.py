"""Behaviour of the firewall role, proven with real traffic from the clients to the firewall hosts.

Tests taking the ``host`` fixture run once per firewall host (``docker://`` backend); they send TCP and
UDP probes over IPv4 and IPv6 from both clients (``/usr/local/bin/fw-probe``, all probes of one client in
parallel, 3 s timeout each). "timeout" means the packet was dropped; "refused" would mean it reached the
host and nothing listened, which a default-deny firewall must never reveal.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket

import pytest
from lab_hosts import on
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY_FILE = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = AnsibleRunner(INVENTORY_FILE)
FIREWALLS = sorted(RUNNER.get_hosts("firewall_hosts"))
CLIENTS = sorted(RUNNER.get_hosts("firewall_clients"))
SSH_CLIENT = "ict-firewall-client-d13"  # in firewall_ssh_sources (rate limited)
NO_SSH_CLIENT = "ict-firewall-client-d12"

testinfra_hosts = ["docker://" + name for name in FIREWALLS]


def addresses(name):
    """The global IPv4 and IPv6 (ULA) address of a lab host on the scenario network."""
    found = {}
    for text in on(name).interface("eth0").addresses:
        ip = ipaddress.ip_address(text)
        if ip.is_link_local:
            continue
        found["ipv%d" % ip.version] = text
    assert set(found) == {"ipv4", "ipv6"}, found
    return found


def probe(client, *specs):
    out = on(client).check_output("python3 /usr/local/bin/fw-probe %s" % " ".join(specs))
    return json.loads(out)


def spec(proto, address, port):
    return "%s/%s/%d" % (proto, "[%s]" % address if ":" in address else address, port)


def hostname_of(host):
    return host.backend.name


@pytest.fixture(scope="module")
def results():
    """Every probe from every client to every firewall host, in one parallel run per client."""
    table = {}
    for client in CLIENTS:
        specs = []
        for firewall in FIREWALLS:
            for family, address in addresses(firewall).items():
                for proto, port in (("tcp", 8080), ("tcp", 8081), ("tcp", 9090), ("tcp", 9100),
                                    ("udp", 5353), ("udp", 5354)):
                    specs.append((firewall, family, proto, port, spec(proto, address, port)))
        answers = probe(client, *[s[4] for s in specs])
        for firewall, family, proto, port, key in specs:
            table[(client, firewall, family, proto, port)] = answers[key]
    return table


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("client", CLIENTS)
def test_allowed_services_answer(host, results, client, family):
    """web (8080/tcp), the contributed node-exporter (9100/tcp) and dns-like (5353/udp) reach the host."""
    for proto, port in (("tcp", 8080), ("tcp", 9100), ("udp", 5353)):
        assert results[(client, hostname_of(host), family, proto, port)] == "open", (proto, port)


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("client", CLIENTS)
def test_other_ports_are_dropped_not_refused(host, results, client, family):
    """A listening but not allowed port, and a service allowed only from elsewhere, time out."""
    for proto, port in (("tcp", 9090), ("tcp", 8081), ("udp", 5354)):
        assert results[(client, hostname_of(host), family, proto, port)] == "timeout", (proto, port)


def test_ssh_is_open_for_the_controller(host):
    """The controller reaches the hosts from the network gateway, a management network."""
    for family, address in addresses(hostname_of(host)).items():
        kind = socket.AF_INET6 if family == "ipv6" else socket.AF_INET
        with socket.socket(kind, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect((address, 22))
            assert sock.recv(64).startswith(b"SSH-2.0-"), family


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_ssh_is_dropped_for_a_host_outside_the_management_networks(host, family):
    key = spec("tcp", addresses(hostname_of(host))[family], 22)
    assert probe(NO_SSH_CLIENT, key)[key] == "timeout"


def test_new_ssh_connections_are_rate_limited(host):
    """The rate-limited SSH source gets a few new connections, then is dropped (hitcount 4 / 60 s)."""
    host.check_output("echo / > /proc/net/xt_recent/ironclad-ssh")  # forget earlier runs of this test
    key = spec("tcp", addresses(hostname_of(host))["ipv4"], 22)
    verdicts = [probe(SSH_CLIENT, key)[key] for _attempt in range(6)]
    assert verdicts[:3] == ["open"] * 3, verdicts
    assert verdicts[-1] == "timeout", verdicts
    host.check_output("echo / > /proc/net/xt_recent/ironclad-ssh")


def test_drops_are_logged_with_a_counter(host, results):
    """The rate-limited LOG rule at the end of INPUT saw the dropped probes."""
    out = host.check_output("iptables -L INPUT -v -n -x")
    log = [line for line in out.splitlines() if "LOG" in line and "ironclad-fw-drop" in line]
    assert len(log) == 1, out
    assert int(log[0].split()[0]) > 0, log


def test_docker_and_fail2ban_chains_survive(host):
    save = host.check_output("iptables-save -t filter")
    assert "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT" in save
    assert "-A DOCKER-ISOLATION-STAGE-1 -j RETURN" in save
    assert "-A f2b-sshd -s 192.0.2.99/32 -j REJECT --reject-with icmp-port-unreachable" in save
    forward = [line for line in save.splitlines() if line.startswith("-A FORWARD")]
    assert forward == [
        "-A FORWARD -j DOCKER-USER",
        "-A FORWARD -j DOCKER-ISOLATION-STAGE-1",
        "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-A FORWARD -o docker0 -j DOCKER",
    ]
    for tool in ("iptables", "ip6tables"):
        inputs = host.check_output("%s -S INPUT" % tool).splitlines()
        assert inputs[:2] == ["-P INPUT DROP", "-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd"], tool
    assert "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER" in host.check_output("iptables-save -t nat")


def test_docker_user_policy_is_managed(host):
    rules = host.check_output("iptables -S DOCKER-USER").splitlines()
    assert rules[1] == "-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
    assert rules[-2:] == ["-A DOCKER-USER -i eth0 -j DROP", "-A DOCKER-USER -j RETURN"]
    assert any(re.match(r"-A DOCKER-USER -s [0-9.]+/32 -i eth0 -j RETURN", r) for r in rules), rules


def test_persisted_rules_load_and_hold_only_what_the_role_owns(host):
    for tool, path in (("iptables", "/etc/iptables/rules.v4"), ("ip6tables", "/etc/iptables/rules.v6")):
        text = host.file(path).content_string
        assert ":INPUT DROP" in text and "DOCKER-ISOLATION" not in text and "f2b-sshd" not in text
        # a fresh network namespace, as at boot: the file loads on its own
        out = host.run("unshare --net sh -c '%s-restore < %s && %s -S INPUT'" % (tool, path, tool))
        assert out.rc == 0, out.stderr
        assert "-P INPUT DROP" in out.stdout
    assert host.service("netfilter-persistent").is_enabled


def test_no_rollback_is_left_pending(host):
    assert host.run("ls /run/ironclad-iptables/*.json 2>/dev/null").stdout == ""
    assert "ironclad-iptables-rollback" not in host.check_output("systemctl list-units --all --no-legend")
