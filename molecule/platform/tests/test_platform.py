"""Behaviour of the whole platform after playbooks/site.yml, seen from its own hosts.

Every probe runs on a scenario host (``docker://`` backend) and talks only to the scenario's hosts, by
name, over the scenario network: HTTPS through the load balancer, a message across the broker cluster
over AMQPS, the firewall of every host (what is declared answers, what is not is dropped), and the
read-only hardening audit of every host (playbooks/audit.yml).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import uuid

import pytest
from lab_hosts import on, run_json
from playbook_runs import ansible_playbook
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY_FILE = os.environ["MOLECULE_INVENTORY_FILE"]
SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(SCENARIO_DIR))
RUNNER = AnsibleRunner(INVENTORY_FILE)
LB = sorted(RUNNER.get_hosts("loadbalancers"))[0]
WEB = sorted(RUNNER.get_hosts("webservers"))
MQ = sorted(RUNNER.get_hosts("brokers"))
HOSTS = sorted(RUNNER.get_hosts("all"))
APP_USER = ["--user", "platform-app", "--password", "molecule-platform-pw"]
UNDECLARED_PORT = 18099
TIMEOUT = 3
# Accepts and closes connections on both families until stopped (a transient systemd unit).
LISTENER = ("import socket\n"
            "server = socket.create_server(('::', {port}), family=socket.AF_INET6, dualstack_ipv6=True)\n"
            "while True:\n"
            "    server.accept()[0].close()\n")

with open(os.path.join(SCENARIO_DIR, "files", "netprobe.py"), encoding="utf-8") as handle:
    NETPROBE = handle.read()
with open(os.path.join(SCENARIO_DIR, "files", "amqp_cross.py"), encoding="utf-8") as handle:
    AMQP_CROSS = handle.read()


def tcp(source, targets):
    """Connect from source to [target, port, family] targets at once: open / refused / dropped each."""
    return run_json(source, NETPROBE, "tcp", json.dumps(targets), TIMEOUT)


# --- HTTPS through the load balancer ---------------------------------------------------------------------


@pytest.mark.parametrize("client", [WEB[0], WEB[1], LB])
def test_https_through_the_load_balancer_reaches_every_backend(client):
    # Certificate checked against /etc/ironclad/pki/ca.crt and the load balancer's name.
    answer = run_json(client, NETPROBE, "https", "https://%s/" % LB, "--count", 6, "--wait", 60)
    assert answer["errors"] == [], answer
    assert [a["status"] for a in answer["answers"]] == [200] * 6, answer
    assert {a["tls"] for a in answer["answers"]} <= {"TLSv1.2", "TLSv1.3"}, answer
    assert sorted({a["body"] for a in answer["answers"]}) == WEB, answer


def test_the_load_balancer_certificate_is_refused_under_another_name():
    answer = run_json(WEB[0], NETPROBE, "https", "https://%s/" % LB, "--server-name", "not-the-lb.invalid")
    assert answer["answers"] == [], answer
    assert "SSLCertVerificationError" in answer["errors"][0] and "mismatch" in answer["errors"][0], answer


def test_plain_http_is_redirected_to_https():
    answer = run_json(WEB[1], NETPROBE, "http", "http://%s/some/page" % LB)
    assert answer["status"] in (301, 302, 307, 308), answer
    assert answer["location"].startswith("https://%s/some/page" % LB), answer


# --- a message across the broker cluster over AMQPS ------------------------------------------------------


@pytest.mark.parametrize("publish_to, consume_from", [(MQ[0], MQ[1]), (MQ[1], MQ[2]), (MQ[2], MQ[0])],
                         ids=["mq1-to-mq2", "mq2-to-mq3", "mq3-to-mq1"])
def test_a_message_published_on_one_node_is_consumed_on_another(publish_to, consume_from):
    queue = "platform.cross.%s" % uuid.uuid4().hex[:8]
    body = "from %s via %s to %s" % (WEB[0], publish_to, consume_from)
    # Both connections are AMQPS with the broker's certificate checked against the CA and its name, so
    # the consumer's connection really ends on another node than the publisher's.
    published = run_json(WEB[0], AMQP_CROSS, "publish", publish_to, queue, body, *APP_USER)
    assert published["tls"] in ("TLSv1.2", "TLSv1.3"), published

    # The queue is a quorum queue replicated on all three nodes, seen from a node that may not lead it
    # (the nodes answer the CLI across the cluster, through their firewalls).
    listed = on(consume_from).run("rabbitmqctl -q list_queues name type members --formatter json -t 30")
    assert listed.rc == 0, listed.stdout + listed.stderr
    queues = {q["name"]: q for q in json.loads(listed.stdout)}
    assert queues[queue]["type"] == "quorum", queues
    assert sorted(queues[queue]["members"]) == sorted("rabbit@" + name for name in MQ), queues

    consumed = run_json(WEB[1], AMQP_CROSS, "consume", consume_from, queue, *APP_USER)
    assert consumed["consumed"] == body, (published, consumed)
    assert consumed["tls"] in ("TLSv1.2", "TLSv1.3"), consumed


# --- firewalls: declared services answer, nothing else does -------------------------------------------------

# (source, target, port, expected): "open" = the IPv4 connection succeeds and IPv6 is let through (open,
# or refused where the service listens on IPv4 only); "dropped" = no answer on either family.
DECLARED = [
    (WEB[0], LB, 443, "open"),            # HTTPS and HTTP of the load balancer: anyone
    (MQ[0], LB, 80, "open"),
    (LB, WEB[0], 8080, "open"),           # the application: the load balancers only
    (LB, WEB[1], 8080, "open"),
    (MQ[0], WEB[0], 8080, "dropped"),
    (WEB[1], WEB[0], 8080, "dropped"),
    (WEB[0], MQ[0], 5671, "open"),        # AMQPS: broker_clients only
    (WEB[1], MQ[2], 5671, "open"),
    (LB, MQ[1], 5671, "dropped"),
    (WEB[0], MQ[0], 5672, "dropped"),     # plain AMQP is not declared
    (MQ[1], MQ[0], 25672, "open"),        # Erlang distribution: the cluster's own nodes only
    (MQ[2], MQ[0], 4369, "open"),
    (WEB[0], MQ[0], 25672, "dropped"),
    (WEB[0], MQ[0], 4369, "dropped"),
    (WEB[0], MQ[0], 15671, "dropped"),    # management and metrics: the management networks only
    (LB, MQ[2], 15692, "dropped"),
    (WEB[0], LB, 22, "dropped"),          # SSH: the management networks only
    (MQ[0], WEB[1], 22, "dropped"),
    (LB, MQ[1], 22, "dropped"),
]


def test_declared_services_answer_only_their_declared_sources():
    by_source = {}
    for source, target, port, expected in DECLARED:
        by_source.setdefault(source, []).append((target, port, expected))
    seen = {}
    with concurrent.futures.ThreadPoolExecutor(len(by_source)) as pool:
        futures = {source: pool.submit(tcp, source, [[t, p, f] for t, p, _e in rows for f in (4, 6)])
                   for source, rows in by_source.items()}
        for source, rows in by_source.items():
            results = futures[source].result()
            for index, (target, port, _expected) in enumerate(rows):
                seen[(source, target, port)] = {"ipv4": results[2 * index], "ipv6": results[2 * index + 1]}
    wrong = {}
    for source, target, port, expected in DECLARED:
        got = seen[(source, target, port)]
        if expected == "open":
            ok = got["ipv4"] == "open" and got["ipv6"] in ("open", "refused")
        else:
            ok = got == {"ipv4": "dropped", "ipv6": "dropped"}
        if not ok:
            wrong["%s -> %s:%d (expected %s)" % (source, target, port, expected)] = got
    assert wrong == {}


@pytest.fixture(scope="module")
def undeclared_listeners():
    """A throwaway TCP listener on an undeclared port on every host (both families), removed afterwards."""
    unit = "ict-probe-%d" % UNDECLARED_PORT
    for name in HOSTS:
        on(name).run("systemctl stop %s; systemctl reset-failed %s", unit, unit)
        on(name).run_expect([0], "systemd-run --unit %s --collect python3 -c %s",
                            unit, LISTENER.format(port=UNDECLARED_PORT))
    try:
        yield UNDECLARED_PORT
    finally:
        for name in HOSTS:
            on(name).run("systemctl stop %s", unit)


def test_every_firewall_drops_an_undeclared_port_from_every_peer(undeclared_listeners):
    port = undeclared_listeners
    # The listener answers on the host itself (loopback is allowed), so a failure from a peer is the firewall.
    for name in HOSTS:
        local = tcp(name, [["127.0.0.1", port, 4], ["::1", port, 6]])
        assert local == ["open", "open"], (name, local)
    with concurrent.futures.ThreadPoolExecutor(len(HOSTS)) as pool:
        futures = {source: pool.submit(tcp, source, [[t, port, f] for t in HOSTS if t != source for f in (4, 6)])
                   for source in HOSTS}
        answered = {}
        for source, future in futures.items():
            targets = [(t, f) for t in HOSTS if t != source for f in (4, 6)]
            for (target, family), result in zip(targets, future.result(), strict=True):
                if result != "dropped":
                    answered["%s -> %s:%d IPv%d" % (source, target, port, family)] = result
    assert answered == {}


# --- the hardening audit ---------------------------------------------------------------------------------------


def test_every_host_passes_the_hardening_audit():
    # The audit reports every control; a failing one is listed here by host, id and reason.
    run = ansible_playbook(os.path.join(REPO, "playbooks", "audit.yml"), callback="ansible.builtin.json")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    plays = json.loads(run.stdout[run.stdout.index("{"):])["plays"]
    results = {name: result for task in plays[0]["tasks"] for name, result in task["hosts"].items() if "controls" in result}
    assert sorted(results) == HOSTS
    failed = {name: ["%s: %s" % (c["id"], c["reason"]) for c in result["controls"] if c["status"] == "fail"]
              for name, result in results.items()}
    assert {name: controls for name, controls in failed.items() if controls} == {}
    assert {name: result["score"] for name, result in results.items()} == {name: 100.0 for name in HOSTS}
    assert all(result["changed"] is False for result in results.values())
