"""PKI filters: certificate facts, SANs from inventory data, request collection."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.filter import pki
from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509 as x
from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509_issue as x_issue


def test_filters_are_registered():
    assert set(pki.FilterModule().filters()) == {
        "x509_info", "pki_host_sans", "x509_sign_requests", "ssh_sign_requests", "ssh_host_certificates"}


def test_pki_host_sans_from_facts():
    host = {
        "inventory_hostname": "Web1",
        "ansible_facts": {
            "hostname": "web1",
            "fqdn": "web1.lab.example",
            "default_ipv4": {"address": "10.0.0.5"},
            "default_ipv6": {"address": "fd00::5"},
        },
    }
    assert pki.pki_host_sans(host, ["api.lab.example", "IP:10.0.0.5"]) == [
        "DNS:web1", "DNS:web1.lab.example", "IP:10.0.0.5", "IP:fd00::5", "DNS:api.lab.example"]


def test_pki_host_sans_without_facts_and_loopback():
    host = {"inventory_hostname": "db1", "ansible_facts": {"fqdn": "localhost", "default_ipv4": {"address": "127.0.0.1"}}}
    assert pki.pki_host_sans(host) == ["DNS:db1"]


def test_pki_host_sans_with_an_address_as_inventory_name():
    assert pki.pki_host_sans({"inventory_hostname": "192.0.2.7"}) == ["IP:192.0.2.7"]


def test_pki_host_sans_rejects_bad_extras():
    with pytest.raises(AnsibleFilterError, match="'bad name'"):
        pki.pki_host_sans({"inventory_hostname": "db1"}, ["bad name"])
    with pytest.raises(AnsibleFilterError, match=r"^pki_certificate_extra_sans\[1\]: subject alternative name 'IP:10.0.0.300'"):
        pki.pki_host_sans({"inventory_hostname": "db1"}, ["api.lab.example", "IP:10.0.0.300"])


def test_x509_info_reads_the_first_certificate():
    key = x.generate_private_key()
    ca = x_issue.build_ca_certificate(key, {"common_name": "Filter CA"}, 30)
    leaf_key = x.generate_private_key()
    leaf = x_issue.sign_certificate(x_issue.build_csr(leaf_key, ["DNS:a.lab"]), ca, key, ["DNS:a.lab"], 10)
    info = pki.x509_info(x.certificate_pem(leaf) + x.certificate_pem(ca))
    assert info["issuer"] == "CN=Filter CA" and info["subject_alt_names"] == ["DNS:a.lab"]
    assert info["days_until_expiry"] in (9, 10) and info["fingerprint_sha256"] == x.fingerprint_colons(leaf)
    with pytest.raises(AnsibleFilterError, match="no PEM certificate"):
        pki.x509_info("hello")


def test_x509_sign_requests_picks_hosts_that_need_a_certificate():
    hostvars = {
        "a": {"r": {"issue_required": True, "csr": "CSR-A", "subject_alt_names": ["DNS:a"]}},
        "b": {"r": {"issue_required": False, "csr": None}},
        "c": {},
        "d": {"r": {"issue_required": True, "csr": None}},  # check mode before the key exists
    }
    assert pki.x509_sign_requests(["a", "b", "c", "d"], hostvars, "r") == [
        {"name": "a", "csr": "CSR-A", "subject_alt_names": ["DNS:a"]}]


def test_ssh_request_and_certificate_filters():
    hostvars = {"a": {"r": {"sign_required": True, "requests": [
        {"key_type": "ed25519", "public_key": "ssh-ed25519 AAA", "principals": ["a"], "reasons": ["x"]}]}},
        "b": {"r": {"sign_required": False, "requests": []}}}
    assert pki.ssh_sign_requests(["a", "b"], hostvars, "r") == [
        {"name": "a/ed25519", "public_key": "ssh-ed25519 AAA", "principals": ["a"], "type": "host"}]
    certs = {"a/ed25519": "cert-a", "ab/ed25519": "cert-ab", "a/rsa": "cert-a-rsa"}
    assert pki.ssh_host_certificates(certs, "a") == {"ed25519": "cert-a", "rsa": "cert-a-rsa"}
