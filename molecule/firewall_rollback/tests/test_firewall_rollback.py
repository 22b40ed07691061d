"""After the forced lockout in converge: the host restores the previous ruleset by itself, SSH from the
controller works again (checked over SSH with paramiko, not docker exec), and the bad policy was
never persisted.
"""

from __future__ import annotations

import os
import time

import paramiko
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY_FILE = os.environ["MOLECULE_INVENTORY_FILE"]
KEY = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "rollback_id_ed25519")
HOSTS = sorted(AnsibleRunner(INVENTORY_FILE).get_hosts("firewall_hosts"))

testinfra_hosts = ["docker://" + name for name in HOSTS]


def address_of(host):
    return host.check_output("ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1")


def ssh_run(address, command, deadline):
    """Run a command over SSH, retrying until ``deadline`` (the rollback may still be pending)."""
    last = None
    while time.monotonic() < deadline:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # throwaway lab host
        try:
            client.connect(address, username="root", key_filename=KEY, timeout=3, banner_timeout=3,
                           auth_timeout=3, look_for_keys=False, allow_agent=False)
            _stdin, stdout, _stderr = client.exec_command(command, timeout=10)
            return stdout.read().decode()
        except (OSError, paramiko.SSHException) as exc:
            last = exc
            time.sleep(2)
        finally:
            client.close()
    raise AssertionError("no SSH to %s before the deadline: %r" % (address, last))


def test_ssh_works_again_after_the_rollback(host):
    # rollback timeout 20 s after the apply; allow for a slow machine
    rules = ssh_run(address_of(host), "iptables -S INPUT", time.monotonic() + 90)
    assert "-P INPUT DROP" in rules
    assert "ironclad-management-ssh" in rules
    assert "192.0.2.0/24" not in rules


def test_the_timer_restored_the_previous_ruleset(host):
    # the rollback marker is written by the transient systemd unit before it restores
    markers = host.check_output("ls /run/ironclad-iptables/ | grep -c rolledback || true")
    assert int(markers) == 1
    journal = host.check_output("journalctl -o cat --no-pager | grep -c 'ironclad.infra.iptables_ruleset rollback' || true")
    assert int(journal) >= 1
    for tool in ("iptables", "ip6tables"):
        assert "192.0.2.0/24" not in host.check_output("%s-save" % tool)
        assert "2001:db8::/32" not in host.check_output("%s-save" % tool)


def test_the_bad_policy_was_never_persisted(host):
    v4 = host.file("/etc/iptables/rules.v4").content_string
    assert "ironclad-management-ssh" in v4 and "192.0.2.0/24" not in v4
    v6 = host.file("/etc/iptables/rules.v6").content_string
    assert ":INPUT DROP" in v6 and "2001:db8::/32" not in v6


def test_rules_file_matches_the_live_ruleset(host):
    """What boot would load equals what runs now: the confirmed good policy."""
    live = [line for line in host.check_output("iptables -S INPUT").splitlines() if line.startswith("-A ")]
    saved = host.file("/etc/iptables/rules.v4").content_string
    assert [line for line in saved.splitlines() if line.startswith("-A INPUT ")] == live
