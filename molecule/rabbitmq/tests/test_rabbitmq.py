"""Behaviour of the rabbitmq role: a three-node cluster seen from its nodes and from a client host.

The client (Debian's python3-pika, testssl.sh) talks to the brokers over the scenario network only. The
playbook-driven test (bad input) runs ansible-playbook against the scenario inventory. The durability test
stops a broker node, so it comes last; it always starts the node again.
"""

from __future__ import annotations

import json
import os
import time

import pytest
import testinfra
from playbook_runs import ansible_playbook, recap
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY_FILE = os.environ["MOLECULE_INVENTORY_FILE"]
NODES = sorted(AnsibleRunner(INVENTORY_FILE).get_hosts("rabbitmq"))
CLIENT = "ict-rabbitmq-client-d12"
NODE_NAMES = sorted("rabbit@" + name for name in NODES)
MESSAGES = 1000
ORDERS = ["--vhost", "orders", "--user", "orders-app", "--password", "molecule-orders-pw"]

testinfra_hosts = ["docker://" + name for name in NODES]


def peer(name):
    return testinfra.get_host("docker://" + name)


def client(*args):
    """Run the test client on the client host; return its JSON answer."""
    command = " ".join(["python3", "/usr/local/bin/amqps_client.py"] + [quote(a) for a in args])
    result = peer(CLIENT).run(command)
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def quote(text):
    return "'" + str(text).replace("'", "'\"'\"'") + "'"


def ctl_json(node, command):
    result = peer(node).run("rabbitmqctl -q %s --formatter json" % command)
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def definitions(node=NODES[0]):
    result = peer(node).run("rabbitmqctl -q export_definitions - --format json")
    assert result.rc == 0, result.stderr
    data = json.loads(result.stdout)
    return {key: data[key] for key in ("users", "vhosts", "permissions", "topic_permissions", "policies")}


# --- cluster ------------------------------------------------------------------------------------------


def test_every_node_reports_the_same_cluster(host):
    status = json.loads(host.check_output("rabbitmqctl -q cluster_status --formatter json"))
    assert sorted(status["running_nodes"]) == NODE_NAMES
    assert sorted(status["disk_nodes"]) == NODE_NAMES
    assert status["partitions"] == {}
    assert status["alarms"] == []
    host.run_expect([0], "rabbitmq-diagnostics -q check_running")
    host.run_expect([0], "rabbitmq-diagnostics -q check_local_alarms")


def test_cookie_and_key_are_private(host):
    cookie = host.file("/var/lib/rabbitmq/.erlang.cookie")
    assert (cookie.user, cookie.mode) == ("rabbitmq", 0o400)
    key = host.file("/etc/rabbitmq/tls/host.key")
    assert (key.user, key.group, key.mode) == ("root", "rabbitmq", 0o640)


def test_listeners_are_tls_only(host):
    result = json.loads(host.check_output("rabbitmq-diagnostics -q listeners --formatter json"))
    listeners = {(item["port"], item["protocol"]) for item in result["listeners"]}
    assert listeners == {(5671, "amqp/ssl"), (15671, "https"), (15692, "http/prometheus"), (25672, "clustering")}


# --- access control -----------------------------------------------------------------------------------


def test_declared_users_vhosts_policies_and_no_guest():
    data = definitions()
    assert sorted(u["name"] for u in data["users"]) == ["admin", "monitor", "orders-app"]
    vhosts = {v["name"]: v["metadata"] for v in data["vhosts"]}
    assert sorted(vhosts) == ["/", "orders"]
    assert all(meta.get("default_queue_type") == "quorum" for meta in vhosts.values())
    policies = {(p["vhost"], p["name"]): p for p in data["policies"]}
    assert sorted(policies) == [("/", "quorum-defaults"), ("orders", "quorum-defaults"), ("orders", "short-lived")]
    assert policies[("orders", "short-lived")]["definition"] == {"expires": 600000, "message-ttl": 60000}


def test_guest_cannot_log_in():
    answer = client("login", "--host", NODES[0], "--user", "guest", "--password", "guest")
    assert answer["ok"] is False
    assert "ProbableAuthenticationError" in answer["error"] or "ACCESS_REFUSED" in answer["error"], answer


def test_wrong_password_and_foreign_vhost_are_refused():
    assert client("login", "--host", NODES[0], "--vhost", "orders", "--user", "orders-app", "--password", "nope")["ok"] is False
    # orders-app has permissions on "orders" only.
    assert client("login", "--host", NODES[0], "--vhost", "/", "--user", "orders-app", "--password", "molecule-orders-pw")["ok"] is False
    assert client("login", "--host", NODES[0], *ORDERS)["ok"] is True


def test_plain_amqp_is_refused():
    for node in NODES:
        answer = client("tcp", "--host", node, "--port", 5672)
        assert answer["connected"] is False and "ConnectionRefused" in answer["error"], (node, answer)


def test_certificate_of_another_ca_is_rejected_by_the_client():
    # The client checks the broker against the CA: trusting another CA only, the handshake must fail.
    peer(CLIENT).run_expect([0], "test -s /tmp/other-ca.crt || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                                 "-nodes -keyout /tmp/other-ca.key -out /tmp/other-ca.crt -subj /CN=other-ca -days 1")
    answer = client("login", "--host", NODES[0], *ORDERS, "--cafile", "/tmp/other-ca.crt")
    assert answer["ok"] is False and "CERTIFICATE_VERIFY_FAILED" in answer["error"], answer


# --- TLS ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [5671, 15671])
@pytest.mark.parametrize("version", ["TLSv1", "TLSv1_1"])
def test_old_tls_versions_are_refused(port, version):
    answer = client("tls", "--host", NODES[0], "--port", port, "--version", version)
    assert answer["handshake"] is False, answer


@pytest.mark.parametrize("port", [5671, 15671])
def test_tls12_without_forward_secrecy_or_aead_is_refused(port):
    answer = client("tls", "--host", NODES[0], "--port", port, "--version", "TLSv1_2",
                    "--ciphers", "AES128-SHA:AES256-SHA:AES128-GCM-SHA256:DHE-RSA-AES128-SHA:ECDHE-RSA-AES128-SHA:DES-CBC3-SHA:@SECLEVEL=0")
    assert answer["handshake"] is False, answer


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_modern_tls_is_accepted(version):
    answer = client("tls", "--host", NODES[1], "--port", 5671, "--version", version, "--ciphers", "DEFAULT")
    assert answer["handshake"] is True, answer
    assert answer["cipher"].startswith(("TLS_", "ECDHE-")) and ("GCM" in answer["cipher"] or "CHACHA20" in answer["cipher"])


def test_testssl_finds_no_old_protocol_and_no_weak_cipher():
    node = NODES[0]
    output = "/tmp/testssl-%s.json" % node
    result = peer(CLIENT).run(
        "rm -f %s; testssl --quiet --color 0 --warnings off --protocols --std --fs --jsonfile %s %s:5671"
        % (output, output, node))
    assert peer(CLIENT).file(output).exists, result.stdout + result.stderr
    findings = {item["id"]: item for item in json.loads(peer(CLIENT).file(output).content_string)}
    offered = {key: findings[key]["finding"] for key in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3") if key in findings}
    for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert offered[old].startswith("not offered"), offered
    assert offered["TLS1_2"].startswith("offered"), offered
    weak = [key for key in findings if key.startswith(("cipherlist_", "std_"))
            and not key.endswith(("STRONG", "_GOOD")) and not findings[key]["finding"].startswith("not offered")]
    assert weak == [], {key: findings[key]["finding"] for key in weak}
    assert not [item for item in findings.values() if item["severity"] in ("HIGH", "CRITICAL")], findings


# --- management API and Prometheus ---------------------------------------------------------------------


def test_management_api_over_https_with_the_ca():
    answer = client("https", "--url", "https://%s:15671/api/overview" % NODES[2], "--user", "admin", "--password", "molecule-admin-pw")
    assert answer["status"] == 200, answer
    assert json.loads(answer["body"])["cluster_name"]
    assert client("https", "--url", "https://%s:15671/api/overview" % NODES[2], "--user", "guest", "--password", "guest")["status"] == 401
    assert client("https", "--url", "http://%s:15672/api/overview" % NODES[2])["status"] is None


def test_prometheus_on_the_configured_address(host):
    address = host.interface("eth0").addresses[0]
    answer = client("https", "--url", "http://%s:15692/metrics" % address)
    assert answer["status"] == 200, answer
    assert "rabbitmq_identity_info" in answer["body"] and "rabbitmq_queues" in answer["body"]
    # Bound to that address only: not on loopback.
    assert host.run("python3 -c \"import socket; socket.create_connection(('127.0.0.1', 15692), 3)\"").rc != 0


# --- bad input fails before any change -----------------------------------------------------------------


BAD_INPUT = {
    "rabbitmq_policies": [{"name": "ttl", "vhost": "orders", "pattern": "^x", "definition": {"message-ttl": "soon"}}],
    "rabbitmq_users": [{"name": "shop-app", "password": "pw-of-the-shop",
                        "permissions": [{"vhost": "shop", "configure": ".*", "write": ".*", "read": ".*"}]}],
}


def test_bad_input_fails_before_any_change():
    """A malformed policy and a permission on an unknown vhost: both named, nothing changed."""
    before = definitions()
    run = ansible_playbook("converge.yml", "--limit", NODES[0], "--tags", "rabbitmq_definitions", "-e", json.dumps(BAD_INPUT))
    output = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0, output[-3000:]
    assert "Invalid RabbitMQ definitions, nothing was changed" in output, output[-3000:]
    assert ("rabbitmq_policies[0] 'ttl' (vhost 'orders'): policy key 'message-ttl' must be a non-negative integer, "
            "got 'soon'") in output, output[-3000:]
    assert ("rabbitmq_users[0] 'shop-app' permissions[0]: the permission names vhost 'shop', which is not declared "
            "in rabbitmq_vhosts") in output, output[-3000:]
    assert "Declare vhosts, users, permissions and policies" not in output
    assert definitions() == before


# --- a bad value on the running cluster: refused, the node keeps serving, a corrected run succeeds ---------


def broker_state(node):
    """What a refused run must not touch on a node: its configuration and the broker's process."""
    return (peer(node).check_output("sha256sum /etc/rabbitmq/rabbitmq.conf /etc/rabbitmq/enabled_plugins"),
            peer(node).check_output("systemctl show -p MainPID --value rabbitmq-server"))


def test_a_bad_port_and_address_on_the_running_cluster_are_refused_and_the_node_keeps_serving():
    node = NODES[0]
    before = broker_state(node)
    bad = {"rabbitmq_amqps_port": 70000, "rabbitmq_management_address": "10.0.0.300"}
    run = ansible_playbook("converge.yml", "--limit", node, "--tags", "rabbitmq_config,rabbitmq_service",
                           "-e", json.dumps(bad))
    output = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0, output[-3000:]
    assert "rabbitmq: bad input, nothing was changed" in output, output[-3000:]
    assert "rabbitmq_amqps_port must be a port 1-65535, got 70000" in output, output[-3000:]
    assert "rabbitmq_management_address must be empty (every address) or an IPv4 or IPv6 address, got '10.0.0.300'" in output
    assert broker_state(node) == before, "the configuration or the broker process changed"
    assert_serves(node)
    assert_corrected_run_changes_nothing()
    assert broker_state(node) == before


def assert_serves(node):
    """Messages published to the node over AMQPS are consumed back from it, intact."""
    queue = "orders.bad-input"
    try:
        published = client("publish", "--host", node, *ORDERS, "--queue", queue, "--count", 20)
        consumed = client("consume", "--host", node, *ORDERS, "--queue", queue, "--count", 20)
    finally:
        peer(node).run("rabbitmqctl -q delete_queue --vhost orders %s" % queue)
    assert published["confirmed"] == 20 and consumed["consumed"] == 20, (published, consumed)
    assert consumed["digest"] == published["digest"]


def assert_corrected_run_changes_nothing():
    """The scenario's own values again: the run succeeds on every node and finds nothing to change."""
    fixed = ansible_playbook("converge.yml", "--tags", "rabbitmq_config,rabbitmq_service")
    assert fixed.returncode == 0, (fixed.stdout + fixed.stderr)[-3000:]
    counters = recap(fixed.stdout)
    assert all(counters[name]["changed"] == 0 for name in NODES), counters


def test_a_setting_the_broker_refuses_at_start_is_rolled_back_and_the_node_runs_again():
    # A key the collection cannot judge (rabbitmq_config_extra is passed through): the node refuses to
    # start with it, so the role puts the previous files back, starts the node again and fails the run.
    node = NODES[0]
    conf_before = broker_state(node)[0]
    bad = {"rabbitmq_config_extra": {"ironclad.no_such_setting": "1"}}
    run = ansible_playbook("converge.yml", "--limit", node, "--tags", "rabbitmq_config,rabbitmq_service",
                           "-e", json.dumps(bad), timeout=900)
    output = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0, output[-3000:]
    assert "rabbitmq: %s did not start with the new configuration" % node in output, output[-3000:]
    assert "/etc/rabbitmq/rabbitmq.conf were put back and the node runs again" in output, output[-3000:]
    assert broker_state(node)[0] == conf_before
    assert peer(node).run("ls /etc/rabbitmq/*~").rc != 0, "backups were left behind"
    peer(node).run_expect([0], "rabbitmqctl -q await_online_nodes %d --timeout 120" % len(NODES))
    assert sorted(ctl_json(node, "cluster_status")["running_nodes"]) == NODE_NAMES
    assert_serves(node)
    assert_corrected_run_changes_nothing()


# --- no message lost while a node is down ------------------------------------------------------------------


def wait_for(predicate, timeout=180, delay=3):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(delay)


def test_quorum_queue_loses_no_message_while_a_node_is_down():
    queue = "orders.durability"
    # Declared without x-queue-type: the vhost's default queue type makes it a quorum queue.
    published = client("publish", "--host", NODES[0], *ORDERS, "--queue", queue, "--count", MESSAGES)
    assert published["published"] == published["confirmed"] == MESSAGES, published

    queues = {q["name"]: q for q in ctl_json(NODES[0], "list_queues -p orders name type messages leader members")}
    assert queues[queue]["type"] == "quorum"
    assert sorted(queues[queue]["members"]) == NODE_NAMES
    assert wait_for(lambda: ctl_json(NODES[0], "list_queues -p orders name messages")[0]["messages"] == MESSAGES, 30)

    # Stop the node that leads the queue: the others elect a new leader and still hold every message.
    leader = queues[queue]["leader"].split("@", 1)[1]
    others = [node for node in NODES if node != leader]
    stopped = peer(leader).run("systemctl stop rabbitmq-server")
    try:
        assert stopped.rc == 0, stopped.stderr
        status = ctl_json(others[0], "cluster_status")
        assert "rabbit@" + leader not in status["running_nodes"]

        hosts = [arg for node in others for arg in ("--host", node)]
        consumed = client("consume", *hosts, *ORDERS,
                          "--queue", queue, "--count", MESSAGES)
        assert consumed["consumed"] == MESSAGES, consumed
        assert consumed["intact"] == MESSAGES, consumed
        assert consumed["complete"] is True, consumed
        assert consumed["digest"] == published["digest"], (published, consumed)
    finally:
        started = peer(leader).run("systemctl start rabbitmq-server")
    assert started.rc == 0, started.stderr

    # The node comes back and rejoins: every node sees all three running, the queue has all members online.
    peer(leader).run_expect([0], "rabbitmqctl -q await_online_nodes %d --timeout 120" % len(NODES))
    for node in NODES:
        assert sorted(ctl_json(node, "cluster_status")["running_nodes"]) == NODE_NAMES, node
    online = wait_for(lambda: sorted(ctl_json(leader, "list_queues -p orders name online")[0]["online"]) == NODE_NAMES, 120)
    assert online, ctl_json(leader, "list_queues -p orders name online members")
    assert ctl_json(leader, "list_queues -p orders name messages")[0]["messages"] == 0
