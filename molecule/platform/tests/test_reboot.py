"""Every host rebooted (all down, then all up, as after a power cut), then everything is back on its own.

No playbook runs between the reboot and these checks: the firewall rules, the hardened mounts, sshd,
HAProxy, the RabbitMQ cluster and the application come back from what the roles persisted. The run
through ansible-runner that follows (test_runner.py) is the third run of the site playbook and must
change nothing, so a setting that only lived in memory shows up there.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from lab_hosts import ADMIN_USER, on, reboot, run_json, ssh_as_admin

# The scenario's hosts and probe scripts, as test_platform.py reads them (its tests are not re-collected here).
from test_platform import AMQP_CROSS, APP_USER, HOSTS, LB, MQ, NETPROBE, WEB

SERVICES = {**{name: ["ssh", "netfilter-persistent"] for name in HOSTS},
            LB: ["ssh", "netfilter-persistent", "haproxy"],
            **{name: ["ssh", "netfilter-persistent", "demo-app"] for name in WEB},
            **{name: ["ssh", "netfilter-persistent", "rabbitmq-server"] for name in MQ}}


@pytest.fixture(scope="module", autouse=True)
def rebooted():
    states = reboot(HOSTS)
    assert set(states.values()) <= {"running", "degraded"}, states
    return states


@pytest.mark.parametrize("name", HOSTS)
def test_no_unit_failed_during_the_boot(name):
    failed = on(name).run("systemctl list-units --failed --plain --no-legend")
    assert failed.stdout.strip() == "", failed.stdout


@pytest.mark.parametrize("name", HOSTS)
def test_the_services_of_every_role_are_running(name):
    states = {unit: on(name).run("systemctl is-active %s" % unit).stdout.strip() for unit in SERVICES[name]}
    assert states == {unit: "active" for unit in SERVICES[name]}


@pytest.mark.parametrize("name", HOSTS)
def test_the_firewall_ruleset_is_loaded_on_both_families(name):
    for command in ("iptables", "ip6tables"):
        rules = on(name).run("%s -S INPUT" % command)
        assert rules.rc == 0, rules.stderr
        assert rules.stdout.splitlines()[0] == "-P INPUT DROP", (command, rules.stdout)
        assert len(rules.stdout.splitlines()) > 3, (command, rules.stdout)


@pytest.mark.parametrize("name", HOSTS)
def test_the_hardened_mounts_are_back(name):
    mounts = {path: on(name).run("findmnt -no FSTYPE,OPTIONS %s" % path).stdout.split() for path in ("/tmp", "/proc", "/dev")}
    assert mounts["/tmp"][0] == "tmpfs" and {"noexec", "nosuid", "nodev"} <= set(mounts["/tmp"][1].split(",")), mounts
    assert "hidepid=invisible" in mounts["/proc"][1].split(","), mounts
    assert {"noexec", "nosuid"} <= set(mounts["/dev"][1].split(",")), mounts


@pytest.mark.parametrize("name", HOSTS)
def test_the_admin_account_logs_in_again(name):
    result = ssh_as_admin(name, "id -un; sudo -n id -u")
    assert (result.returncode, result.stdout.split()) == (0, [ADMIN_USER, "0"]), result.stdout + result.stderr


def test_https_through_the_load_balancer_reaches_every_backend_again():
    answer = run_json(WEB[0], NETPROBE, "https", "https://%s/" % LB, "--count", 6, "--wait", 120)
    assert answer["errors"] == [], answer
    assert sorted({a["body"] for a in answer["answers"]}) == WEB, answer


def test_the_broker_cluster_reforms_and_carries_a_message_across_nodes():
    deadline = time.monotonic() + 300
    while True:
        status = on(MQ[0]).run("rabbitmqctl -q cluster_status --formatter json")
        running = sorted(json.loads(status.stdout).get("running_nodes", [])) if status.rc == 0 else []
        if running == sorted("rabbit@" + name for name in MQ) or time.monotonic() > deadline:
            break
        time.sleep(5)
    assert running == sorted("rabbit@" + name for name in MQ), status.stdout + status.stderr
    queue = "platform.reboot.%s" % uuid.uuid4().hex[:8]
    published = run_json(WEB[0], AMQP_CROSS, "publish", MQ[0], queue, "after the reboot", *APP_USER)
    consumed = run_json(WEB[1], AMQP_CROSS, "consume", MQ[2], queue, *APP_USER)
    assert consumed["consumed"] == "after the reboot", (published, consumed)
