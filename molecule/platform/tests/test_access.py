"""After the site playbook (run twice over SSH as the admin account), that account still gets in.

Hardening touches what an operator's access depends on: sshd's configuration and host keys, PAM
(faillock, pwquality, pam_tmpdir), login.defs ageing, a noexec tmpfs on /tmp, the firewall. The admin
account logs in with its key and no password (its password is locked, as on cloud images) and uses
sudo without one; each check below is a fresh SSH login from the controller, as an operator's.
"""

from __future__ import annotations

import os

import pytest
from lab_hosts import ADMIN_USER, on, ssh_as_admin
from testinfra.utils.ansible_runner import AnsibleRunner

HOSTS = sorted(AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all"))


@pytest.mark.parametrize("name", HOSTS)
def test_the_admin_account_logs_in_with_its_key_and_uses_sudo(name):
    result = ssh_as_admin(name, "id -un; sudo -n id -u; sudo -n sh -c 'echo $TMPDIR; findmnt -no FSTYPE,OPTIONS /tmp'")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [ADMIN_USER, "0"], result.stdout
    # The hardened /tmp is in place under the very session that got through.
    fstype, options = lines[-1].split()
    assert fstype == "tmpfs" and {"noexec", "nosuid", "nodev"} <= set(options.split(",")), result.stdout


@pytest.mark.parametrize("name", HOSTS)
def test_the_admin_account_is_not_aged_out_or_locked_out(name):
    # A key-only account whose password ages or whose failures lock it would lose sudo or SSH later.
    aged = on(name).run("chage -l %s" % ADMIN_USER)
    assert aged.rc == 0, aged.stderr
    fields = {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in aged.stdout.splitlines() if ":" in line)}
    assert (fields["Password expires"], fields["Account expires"]) == ("never", "never"), aged.stdout
    failures = on(name).run("faillock --user %s" % ADMIN_USER)
    assert failures.rc == 0, failures.stderr
    assert "V" not in [line.split()[-1] for line in failures.stdout.splitlines()[2:] if line.split()], failures.stdout
