"""SSH certificates: a client that trusts only the SSH CA reaches a host it has never seen, with strict host
key checking, and logs in with a user certificate of the same CA (TrustedUserCAKeys), no authorized_keys."""

from __future__ import annotations

import os
import pathlib

import pytest
import testinfra
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import cert as ssh_cert

EPHEMERAL_DIR = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
SSH_CA_DIR = EPHEMERAL_DIR / "pki-ca" / "ssh"
CA_PASSPHRASE = "molecule-ca-secret"  # pki_ca_passphrase in molecule.yml
CLIENT = "ict-pki-b-d12"
TARGETS = ["ict-pki-a-d12", "ict-pki-c-d13"]

testinfra_hosts = ["docker://" + CLIENT]

SSH = ("ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null "
       "-o UserKnownHostsFile={known_hosts} -o IdentitiesOnly=yes -i /root/pki-test/id_ed25519 root@{target} hostname")


@pytest.fixture(scope="module")
def client():
    """The client host with a user key signed by the SSH CA and a known_hosts that only trusts the CA."""
    host = testinfra.get_host("docker://" + CLIENT)
    host.check_output("rm -rf /root/pki-test && mkdir -m 700 /root/pki-test && "
                      "ssh-keygen -q -t ed25519 -N '' -C pki-test -f /root/pki-test/id_ed25519")
    ca_key = ssh_cert.load_ca_key((SSH_CA_DIR / "ssh_ca").read_bytes(), CA_PASSPHRASE)
    ca_public = (SSH_CA_DIR / "ssh_ca.pub").read_text().strip()
    user_cert = ssh_cert.sign(ca_key, host.check_output("cat /root/pki-test/id_ed25519.pub"), ["root"], "user", 1, "pki-test")
    host.check_output("printf '%%s\\n' %s > /root/pki-test/id_ed25519-cert.pub" % _quote(user_cert))
    host.check_output("printf '%%s\\n' %s > /root/pki-test/known_hosts_ca" % _quote("@cert-authority * " + ca_public))
    host.check_output(": > /root/pki-test/known_hosts_empty")
    return host


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


@pytest.mark.parametrize("target", TARGETS)
def test_client_trusting_the_ssh_ca_connects_without_a_known_hosts_entry(client, target):
    result = client.run(SSH.format(known_hosts="/root/pki-test/known_hosts_ca", target=target))
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == target
    assert target not in client.check_output("cat /root/pki-test/known_hosts_ca")


@pytest.mark.parametrize("target", TARGETS)
def test_without_the_ca_line_strict_checking_refuses_the_host(client, target):
    result = client.run(SSH.format(known_hosts="/root/pki-test/known_hosts_empty", target=target))
    assert result.rc != 0
    assert "Host key verification failed" in result.stderr


def test_host_certificate_names_the_host(client):
    target = testinfra.get_host("docker://" + TARGETS[0])
    listing = target.check_output("ssh-keygen -L -f /etc/ssh/ssh_host_ed25519_key-cert.pub")
    assert "host certificate" in listing and TARGETS[0] in listing
