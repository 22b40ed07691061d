"""Behaviour of the pki role on three hosts (two Debian 12, one Debian 13), seen from the hosts.

Per-host tests use the ``host`` fixture (docker:// backend). Cross-host tests run a TLS server on one
lab host and a client on another. The playbook-driven tests (bad input, renewal) run ansible-playbook
against the scenario inventory; the renewal test re-issues certificates, so it comes last.
"""

from __future__ import annotations

import os
import shlex
import time

import pytest
from lab_hosts import on
from playbook_runs import ansible_playbook, recap
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY_FILE = os.environ["MOLECULE_INVENTORY_FILE"]
HOSTS = sorted(AnsibleRunner(INVENTORY_FILE).get_hosts("pki_hosts"))
SERVER, CLIENT = "ict-pki-a-d12", "ict-pki-c-d13"
PKI = "/etc/ironclad/pki"
FILES = ["ca.crt", "chain.crt", "fullchain.crt", "host.bundle.pem", "host.crt", "host.key", "host.p12"]

testinfra_hosts = ["docker://" + name for name in HOSTS]

# TLS client with the system trust store only (no cafile): proves update-ca-certificates ran.
TLS_CLIENT = r"""
import socket, ssl, sys
address, name = sys.argv[1], sys.argv[2]
context = ssl.create_default_context()
try:
    with socket.create_connection((address, 8443), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            print("OK", tls.version(), tls.getpeercert()["subject"][0][0][1])
except ssl.SSLCertVerificationError as exc:
    print("VERIFY-FAILED", exc.verify_message)
except Exception as exc:
    print("ERROR", type(exc).__name__, exc)
"""


def playbook(*extra_args):
    """Run converge.yml against the scenario inventory; return (rc, output, {host: changed})."""
    run = ansible_playbook("converge.yml", *extra_args)
    output = run.stdout + run.stderr
    return run.returncode, output, {name: counters["changed"] for name, counters in recap(output).items()}


def serial(name):
    return on(name).check_output("openssl x509 -in %s/host.crt -noout -serial" % PKI)


def digests(name):
    return on(name).check_output("cd %s && sha256sum %s" % (PKI, " ".join(FILES)))


# --- every host --------------------------------------------------------------------------------------

def test_certificate_verifies_against_the_ca_and_the_system_trust_store(host):
    direct = host.run("openssl verify -CAfile %s/ca.crt -untrusted %s/chain.crt %s/host.crt", PKI, PKI, PKI)
    assert direct.rc == 0, direct.stderr
    system = host.run("openssl verify -untrusted %s/chain.crt %s/host.crt", PKI, PKI)
    assert system.rc == 0, "the root CA is not in the system trust store: %s" % system.stderr


def test_certificate_names_the_host_and_its_addresses(host):
    name = host.check_output("hostname")
    sans = host.check_output("openssl x509 -in %s/host.crt -noout -ext subjectAltName", PKI)
    address = host.check_output("hostname -I").split()[0]
    assert "DNS:%s" % name in sans
    assert "IP Address:%s" % address in sans


def test_key_files_are_private_and_match_the_certificate(host):
    for name in ("host.key", "host.bundle.pem", "host.p12"):
        assert host.file("%s/%s" % (PKI, name)).mode == 0o600, name
    key = host.check_output("openssl pkey -in %s/host.key -pubout", PKI)
    cert = host.check_output("openssl x509 -in %s/host.crt -noout -pubkey", PKI)
    assert key == cert


def test_pkcs12_keystore_opens_and_holds_key_certificate_and_chain(host):
    out = host.run("openssl pkcs12 -in %s/host.p12 -passin pass: -nodes", PKI)
    assert out.rc == 0, out.stderr
    assert out.stdout.count("BEGIN CERTIFICATE") == 3  # host + intermediate + root
    assert "BEGIN PRIVATE KEY" in out.stdout


# --- between hosts -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_server():
    server = on(SERVER)
    server.run("systemctl stop pki-tls-probe 2>/dev/null; systemctl reset-failed pki-tls-probe 2>/dev/null")
    # The HAProxy-style bundle (key + full chain) serves as both certificate and key.
    server.check_output(
        "systemd-run --unit=pki-tls-probe --collect openssl s_server -quiet -accept 8443 -www "
        "-cert %s/host.bundle.pem -key %s/host.bundle.pem -cert_chain %s/chain.crt", PKI, PKI, PKI)
    for _attempt in range(50):
        if server.run("ss -ltn | grep -q ':8443 '").rc == 0:
            break
        time.sleep(0.2)
    else:
        pytest.fail("openssl s_server did not start on %s" % SERVER)
    yield server
    server.run("systemctl stop pki-tls-probe")


def tls_from_client(address, name):
    return on(CLIENT).check_output("python3 -c %s %s %s" % (shlex.quote(TLS_CLIENT), address, name))


def test_tls_handshake_between_hosts_checks_the_hostname(tls_server):
    assert tls_from_client(SERVER, SERVER).startswith("OK TLSv1.3 %s" % SERVER)
    wrong = tls_from_client(SERVER, "not-in-the-certificate.example")
    assert wrong.startswith("VERIFY-FAILED") and "mismatch" in wrong


def test_tls_handshake_by_ip_address(tls_server):
    address = on(SERVER).check_output("hostname -I").split()[0]
    assert tls_from_client(address, address).startswith("OK")


# --- bad input, renewal (playbooks) ----------------------------------------------------------------------

def test_invalid_san_fails_clearly_and_writes_nothing():
    before = {name: digests(name) for name in HOSTS}
    rc, output, _changed = playbook("--tags", "pki_certificate", "-e", '{"pki_certificate_extra_sans": ["not a name"]}')
    assert rc != 0
    assert "subject alternative name 'not a name' is neither a DNS name nor an IP address" in output
    assert {name: digests(name) for name in HOSTS} == before


def test_wrong_ca_passphrase_fails_clearly_and_writes_nothing():
    before = {name: digests(name) for name in HOSTS}
    rc, output, _changed = playbook("--tags", "pki_certificate", "-e", "pki_ca_passphrase=wrong")
    assert rc != 0
    assert "the passphrase does not open the CA key" in output
    assert {name: digests(name) for name in HOSTS} == before


def test_raising_the_renewal_threshold_reissues_exactly_once():
    # converge issued 30-day certificates with a 10-day window. A 60-day window is above their remaining
    # lifetime: every host gets a new (365-day) certificate, and a second run re-issues nothing.
    serials = {name: serial(name) for name in HOSTS}
    rc, output, changed = playbook("-e", '{"pki_certificate_renew_before_days": 60, "pki_certificate_validity_days": 365}')
    assert rc == 0, output[-3000:]
    assert all(serial(name) != serials[name] for name in HOSTS)
    assert all(changed[name] > 0 for name in HOSTS)
    renewed = {name: serial(name) for name in HOSTS}
    rc, output, changed = playbook("-e", '{"pki_certificate_renew_before_days": 60, "pki_certificate_validity_days": 365}')
    assert rc == 0, output[-3000:]
    assert changed == {name: 0 for name in HOSTS}, output[-3000:]
    assert {name: serial(name) for name in HOSTS} == renewed
    for name in HOSTS:  # the new certificates live 365 days
        assert on(name).run("openssl x509 -in %s/host.crt -noout -checkend %s", PKI, str(300 * 86400)).rc == 0
