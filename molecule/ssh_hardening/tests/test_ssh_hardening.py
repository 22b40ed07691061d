"""Behaviour of the hardened sshd, seen from the host itself, from the other host and from the controller.

Tests that take the ``host`` fixture run once per SSH host (``docker://`` backend). The other host of
the scenario is the SSH client (OpenSSH), so every release is also tested against the other release's
client. The controller runs ssh-audit and paramiko against the hosts' bridge addresses.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import paramiko
import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.keys import parse_public_key
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.sshd_audit import evaluate_sshd_config, parse_sshd_t
from lab_hosts import address, name_of, peer_of
from testinfra.utils.ansible_runner import AnsibleRunner

RUNNER = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
SSH_HOSTS = sorted(RUNNER.get_hosts("ssh_hosts"))
KEY = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ssh_hardening_id_ed25519"
SSH_AUDIT = Path(sys.executable).parent / "ssh-audit"
BANNER = "Authorised access only"

testinfra_hosts = ["docker://" + name for name in SSH_HOSTS]

CLIENT_OPTIONS = (
    "-i /root/.ssh/ironclad_test_key -o BatchMode=yes -o StrictHostKeyChecking=no "
    "-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ConnectTimeout=5"
)


def address_of(host):
    return address(name_of(host))


def effective(host):
    return parse_sshd_t(host.check_output("sshd -T"))


def openssh_version(host):
    out = host.run("sshd -V")
    return re.search(r"OpenSSH_(\d+\.\d+)", out.stderr + out.stdout).group(1)


def ssh_from_peer(host, user, command="id -un", options=""):
    return peer_of(host, SSH_HOSTS).run("ssh %s %s %s@%s %s" % (CLIENT_OPTIONS, options, user, name_of(host), command))


# --- sshd runs with the hardened configuration ----------------------------------------------------------

def test_sshd_reports_the_hardened_settings(host):
    config = effective(host)
    expected = {
        "passwordauthentication": "no", "kbdinteractiveauthentication": "no", "permitrootlogin": "no",
        "permitemptypasswords": "no", "pubkeyauthentication": "yes", "loglevel": "VERBOSE",
        "x11forwarding": "no", "allowtcpforwarding": "no", "allowagentforwarding": "no",
        "allowstreamlocalforwarding": "no", "permittunnel": "no", "maxauthtries": "3",
        "banner": "/etc/ssh/sshd-banner", "allowgroups": "sshusers", "compression": "no",
        "requiredrsasize": "3072",
    }
    assert {key: config[key][0] for key in expected} == expected
    assert config["hostkey"] == ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key"]


def test_algorithms_follow_the_openssh_version(host):
    config = effective(host)
    kex = config["kexalgorithms"][0].split(",")
    if openssh_version(host) == "9.2":
        assert kex == ["sntrup761x25519-sha512@openssh.com"]
    else:
        assert kex[0] == "mlkem768x25519-sha256"
        assert "sntrup761x25519-sha512" in kex
    every = ",".join(config[k][0] for k in ("kexalgorithms", "ciphers", "macs", "hostkeyalgorithms", "pubkeyacceptedalgorithms"))
    assert not re.search(r"nistp|sha1|md5|cbc|ssh-dss|umac-64|,ssh-rsa(,|$)|curve25519-sha256", every)
    assert all(mac.endswith("-etm@openssh.com") for mac in config["macs"][0].split(","))


def test_every_ssh_control_of_the_audit_passes(host):
    findings = evaluate_sshd_config(host.check_output("sshd -T"), openssh_version(host))
    failed = ["%s: %s" % (f["id"], f["reason"]) for f in findings if f["status"] == "fail"]
    assert failed == []


def test_drop_in_cannot_turn_passwords_back_on(host):
    assert host.file("/etc/ssh/sshd_config.d/50-cloud-init.conf").contains("PasswordAuthentication yes")
    assert effective(host)["passwordauthentication"] == ["no"]


def test_host_keys_are_ed25519_and_rsa_3072_only(host):
    keys = {}
    for pub in host.check_output("ls /etc/ssh/ssh_host_*_key.pub").split():
        parsed = parse_public_key(host.file(pub).content_string)
        keys[parsed["type"]] = parsed["bits"]
    assert keys == {"ed25519": 256, "rsa": 3072}  # prepare left a 2048-bit RSA key (and DSA on Debian 12)
    assert not host.run("ls /etc/ssh/ssh_host_ecdsa_key* /etc/ssh/ssh_host_dsa_key*").stdout.strip()


def test_moduli_has_only_large_groups(host):
    small = host.check_output("awk '$1 !~ /^#/ && NF >= 7 && $5 < 3071' /etc/ssh/moduli | wc -l")
    total = host.check_output("awk '$1 !~ /^#/ && NF >= 7' /etc/ssh/moduli | wc -l")
    assert int(small) == 0
    assert int(total) > 100


# --- who gets in ------------------------------------------------------------------------------------------

def test_key_login_works_and_shows_the_banner(host):
    result = ssh_from_peer(host, "deploy")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "deploy"
    assert BANNER in result.stderr


def test_password_login_is_refused(host):
    result = ssh_from_peer(host, "nokey", "true", "-o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive")
    assert result.rc == 255
    assert "Permission denied (publickey)" in result.stderr


def test_root_login_is_refused_even_with_a_key(host):
    result = ssh_from_peer(host, "root")
    assert result.rc == 255
    assert "Permission denied" in result.stderr


def test_user_outside_the_allow_list_is_refused_even_with_a_key(host):
    result = ssh_from_peer(host, "outsider")
    assert result.rc == 255
    assert "Permission denied" in result.stderr


def test_port_forwarding_is_refused(host):
    result = ssh_from_peer(host, "deploy", "true", "-o ExitOnForwardFailure=yes -R 127.0.0.1:10022:127.0.0.1:22")
    assert result.rc == 255
    assert "remote port forwarding failed" in result.stderr


def test_sftp_subsystem_works(host):
    result = peer_of(host, SSH_HOSTS).run("echo pwd | sftp %s -b - deploy@%s" % (CLIENT_OPTIONS, name_of(host)))
    assert result.rc == 0, result.stderr
    assert "/home/deploy" in result.stdout


# --- from the controller: ssh-audit and paramiko ----------------------------------------------------------

def test_ssh_audit_finds_no_fail_and_no_warn(host):
    out = subprocess.run([str(SSH_AUDIT), "--no-colors", "--skip-rate-test", address_of(host)],
                         capture_output=True, text=True, timeout=120, check=False).stdout
    fails = [line for line in out.splitlines() if "[fail]" in line]
    warns = [line for line in out.splitlines() if "[warn]" in line]
    print("ssh-audit %s: %d fail, %d warn" % (name_of(host), len(fails), len(warns)))
    assert (fails, warns) == ([], [])
    # ssh-audit implements no post-quantum key exchange, so it cannot complete a handshake to measure the
    # RSA key size or probe group-exchange moduli here: test_host_keys_* and test_moduli_* check those.
    assert re.findall(r"^\(key\) (\S+)", out, re.MULTILINE) == ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]


def _paramiko_client():
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    return client


def test_paramiko_key_login_or_clean_kex_refusal(host):
    """paramiko speaks mlkem768x25519 but not sntrup761: Debian 13 lets it in, Debian 12 has no common kex."""
    client = _paramiko_client()
    key = paramiko.Ed25519Key.from_private_key_file(str(KEY))
    try:
        if openssh_version(host) == "9.2":
            with pytest.raises(paramiko.SSHException, match="kex"):
                client.connect(address_of(host), username="deploy", pkey=key, timeout=10, allow_agent=False, look_for_keys=False)
            return
        client.connect(address_of(host), username="deploy", pkey=key, timeout=10, allow_agent=False, look_for_keys=False)
        _stdin, stdout, _stderr = client.exec_command("id -un")
        assert stdout.read().decode().strip() == "deploy"
        assert client.get_transport().remote_version.startswith("SSH-2.0-OpenSSH_10")
    finally:
        client.close()


def test_paramiko_password_login_is_refused(host):
    client = _paramiko_client()
    try:
        if openssh_version(host) == "9.2":
            # Not even a handshake: paramiko has no post-quantum key exchange in common with OpenSSH 9.2.
            with pytest.raises(paramiko.SSHException, match="kex"):
                client.connect(address_of(host), username="nokey", password="Molecule-Passw0rd", timeout=10,
                               allow_agent=False, look_for_keys=False)
            return
        with pytest.raises(paramiko.BadAuthenticationType) as excinfo:
            client.connect(address_of(host), username="nokey", password="Molecule-Passw0rd", timeout=10,
                           allow_agent=False, look_for_keys=False)
        assert excinfo.value.allowed_types == ["publickey"]
    finally:
        client.close()
