"""The x509_ca / x509_sign / x509_certificate backends on a temporary directory, driven by a fake module."""

from __future__ import annotations

import datetime
import os
import stat

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common.files import write_file
from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509 as x
from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509_issue as x_issue
from ansible_collections.ironclad.infra.plugins.module_utils._pki.backend import CaBackend, CertificateBackend, SignBackend
from ansible_collections.ironclad.infra.plugins.module_utils._pki.spec import CA_ARGUMENT_SPEC, CERTIFICATE_ARGUMENT_SPEC, SIGN_ARGUMENT_SPEC
from conftest import FakeModule
from cryptography.hazmat.primitives.serialization import pkcs12

CA_DEFAULTS = dict(passphrase=None, subject={"common_name": "Unit Root CA"}, key_type="ec", key_curve="secp256r1",
                   key_size=4096, validity_days=3650, path_length=None, name_constraints_permitted=[],
                   name_constraints_excluded=[], intermediate=False, intermediate_subject=None,
                   intermediate_validity_days=1825)
SIGN_DEFAULTS = dict(passphrase=None, requests=[], validity_days=365, extended_key_usage=["server", "client"])
CERT_DEFAULTS = dict(chain_path=None, fullchain_path=None, bundle_path=None, ca_certificate_path=None,
                     pkcs12_path=None, pkcs12_passphrase=None, pkcs12_friendly_name=None, key_type="ec",
                     key_curve="secp256r1", key_size=3072, subject=None, extended_key_usage=["server", "client"],
                     renew_before_days=30, certificate=None, owner=None, group=None, privatekey_mode="0600",
                     certificate_mode="0644")


def run_ca(path, check_mode=False, **params):
    return CaBackend(FakeModule(CA_ARGUMENT_SPEC, dict(CA_DEFAULTS, path=str(path), **params), check_mode=check_mode)).run()


def run_sign(ca_path, requests, check_mode=False, **params):
    return SignBackend(FakeModule(SIGN_ARGUMENT_SPEC, dict(SIGN_DEFAULTS, ca_path=str(ca_path), requests=requests, **params),
                                  check_mode=check_mode)).run()


def cert_params(host_dir, chain, sans=("web1.lab", "10.0.0.5"), **params):
    d = str(host_dir)
    base = dict(CERT_DEFAULTS, privatekey_path=d + "/host.key", certificate_path=d + "/host.crt",
                chain_path=d + "/chain.crt", fullchain_path=d + "/fullchain.crt", bundle_path=d + "/host.bundle.pem",
                ca_certificate_path=d + "/ca.crt", pkcs12_path=d + "/host.p12", subject_alt_names=list(sans),
                ca_chain=chain)
    base.update(params)
    return base


def run_cert(params, check_mode=False):
    module = FakeModule(CERTIFICATE_ARGUMENT_SPEC, params, check_mode=check_mode)
    return CertificateBackend(module).run(), module


def issue(host_dir, ca_dir, chain, **params):
    """The role's flow for one host: evaluate (CSR), sign on the CA, install."""
    first = run_cert(cert_params(host_dir, chain, **params))[0]
    if not first["issue_required"]:
        return first, None, None
    signed = run_sign(ca_dir, [{"name": "web1", "csr": first["csr"], "subject_alt_names": first["subject_alt_names"]}],
                      passphrase=params.get("ca_passphrase"))
    second = run_cert(cert_params(host_dir, chain, certificate=signed["certificates"]["web1"], **params))[0]
    return first, signed, second


def snapshot(directory):
    return {name: open(os.path.join(directory, name), "rb").read() for name in sorted(os.listdir(directory))}


@pytest.fixture
def ca(tmp_path):
    result = run_ca(tmp_path / "ca")
    return tmp_path / "ca", result["chain"]


# --- CA --------------------------------------------------------------------------------------------

def test_ca_is_created_once_then_loaded(tmp_path):
    first = run_ca(tmp_path / "ca", passphrase="s3cret", intermediate=True)
    assert first["changed"] is True
    assert sorted(os.listdir(tmp_path / "ca")) == ["intermediate.crt", "intermediate.key", "root.crt", "root.key"]
    assert stat.S_IMODE(os.stat(tmp_path / "ca" / "root.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "ca").st_mode) == 0o700
    assert len(first["chain"]) == 2 and first["chain"][1] == first["root_certificate"]
    second = run_ca(tmp_path / "ca", passphrase="s3cret", intermediate=True)
    assert second["changed"] is False and second["chain"] == first["chain"]


def test_ca_check_mode_writes_nothing(tmp_path):
    result = run_ca(tmp_path / "ca", check_mode=True)
    assert result["changed"] is True and result["chain"] == []
    assert result["actions"] == ["create root CA CN=Unit Root CA in %s" % (tmp_path / "ca")]
    assert not (tmp_path / "ca").exists()


def test_ca_wrong_passphrase_fails_and_writes_nothing(tmp_path):
    run_ca(tmp_path / "ca", passphrase="right")
    before = snapshot(tmp_path / "ca")
    with pytest.raises(x.PkiError, match=r"the passphrase does not open the CA key .*root\.key"):
        run_ca(tmp_path / "ca", passphrase="wrong", intermediate=True)
    assert snapshot(tmp_path / "ca") == before


def test_expired_ca_fails_with_a_clear_message(tmp_path):
    key = x.generate_private_key()
    old = x_issue.build_ca_certificate(key, {"common_name": "Old CA"}, 10,
                                       now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=100))
    (tmp_path / "ca").mkdir()
    write_file(str(tmp_path / "ca" / "root.key"), x.private_key_pem(key), 0o600)
    write_file(str(tmp_path / "ca" / "root.crt"), x.certificate_pem(old).encode(), 0o644)
    with pytest.raises(x.PkiError, match=r"expired on .*Create a new CA"):
        run_ca(tmp_path / "ca")
    csr = x_issue.csr_pem(x_issue.build_csr(x.generate_private_key(), ["DNS:a.lab"]))
    with pytest.raises(x.PkiError, match="expired"):
        run_sign(tmp_path / "ca", [{"name": "a", "csr": csr}])


def test_incomplete_ca_is_reported(tmp_path):
    run_ca(tmp_path / "ca")
    os.unlink(tmp_path / "ca" / "root.key")
    with pytest.raises(x.PkiError, match="incomplete"):
        run_ca(tmp_path / "ca")


# --- Sign ------------------------------------------------------------------------------------------

def test_sign_validates_every_request_before_signing(ca):
    ca_dir, _chain = ca
    good = x_issue.csr_pem(x_issue.build_csr(x.generate_private_key(), ["DNS:a.lab"]))
    with pytest.raises(x.PkiError, match="request b: subject alternative name 'bad name'"):
        run_sign(ca_dir, [{"name": "a", "csr": good}, {"name": "b", "csr": good, "subject_alt_names": ["bad name"]}])
    with pytest.raises(x.PkiError, match="request c: the CSR of c is not a PEM CSR"):
        run_sign(ca_dir, [{"name": "c", "csr": "garbage"}])


def test_sign_batch_and_check_mode(ca):
    ca_dir, chain = ca
    requests = [{"name": "h%d" % i, "csr": x_issue.csr_pem(x_issue.build_csr(x.generate_private_key(), ["DNS:h%d.lab" % i])),
                 "subject_alt_names": ["h%d.lab" % i, "10.0.0.%d" % i]} for i in range(5)]
    checked = run_sign(ca_dir, requests, check_mode=True)
    assert checked["changed"] is True and checked["certificates"] == {} and checked["issued"] == ["h0", "h1", "h2", "h3", "h4"]
    signed = run_sign(ca_dir, requests)
    assert sorted(signed["certificates"]) == ["h0", "h1", "h2", "h3", "h4"]
    cert = x.load_certificate(signed["certificates"]["h3"])
    assert x.certificate_sans(cert) == ["DNS:h3.lab", "IP:10.0.0.3"]
    assert x.signed_by(cert, x.load_certificate(chain[0]))


def test_sign_with_wrong_passphrase(tmp_path):
    run_ca(tmp_path / "ca", passphrase="right")
    csr = x_issue.csr_pem(x_issue.build_csr(x.generate_private_key(), ["DNS:a.lab"]))
    with pytest.raises(x.PkiError, match="does not open"):
        run_sign(tmp_path / "ca", [{"name": "a", "csr": csr}], passphrase="wrong")


def test_sign_nothing_is_no_change(ca):
    assert run_sign(ca[0], [])["changed"] is False


# --- Certificate -----------------------------------------------------------------------------------

def test_full_flow_writes_all_files_then_changes_nothing(tmp_path, ca):
    ca_dir, chain = ca
    host = tmp_path / "host"
    first, _signed, second = issue(host, ca_dir, chain)
    assert first["issue_required"] and first["reasons"] == ["no certificate yet"]
    assert second["changed"] and not second["issue_required"]
    assert sorted(os.listdir(host)) == [".host.crt.state.json", "ca.crt", "chain.crt", "fullchain.crt", "host.bundle.pem",
                                        "host.crt", "host.key", "host.p12"]
    modes = {name: stat.S_IMODE(os.stat(host / name).st_mode) for name in os.listdir(host)}
    assert modes["host.key"] == modes["host.bundle.pem"] == modes["host.p12"] == modes[".host.crt.state.json"] == 0o600
    assert modes["host.crt"] == modes["fullchain.crt"] == 0o644
    leaf = x.load_certificate((host / "host.crt").read_bytes())
    full = x.load_certificates((host / "fullchain.crt").read_text())
    assert [x.fingerprint(c) for c in full] == [x.fingerprint(leaf)] + [x.fingerprint(x.load_certificate(c)) for c in chain]
    bundle = (host / "host.bundle.pem").read_text()
    assert bundle.startswith("-----BEGIN PRIVATE KEY-----") and bundle.endswith((host / "fullchain.crt").read_text())
    _key, cert, cas = pkcs12.load_key_and_certificates((host / "host.p12").read_bytes(), None)
    assert cert == leaf and len(cas) == 1
    before = snapshot(host)
    again = run_cert(cert_params(host, chain))[0]
    assert again["changed"] is False and again["issue_required"] is False
    assert snapshot(host) == before


def test_check_mode_on_a_fresh_host_writes_nothing_and_says_why(tmp_path, ca):
    _ca_dir, chain = ca
    result = run_cert(cert_params(tmp_path / "host", chain), check_mode=True)[0]
    assert result["changed"] and result["issue_required"] and result["csr"] is None
    assert any(action.startswith("generate a ec:secp256r1 private key") for action in result["actions"])
    assert any("no certificate yet" in action for action in result["actions"])
    assert not (tmp_path / "host").exists()


def test_check_mode_before_the_ca_exists(tmp_path):
    result = run_cert(cert_params(tmp_path / "host", []), check_mode=True)[0]
    assert result["reasons"] == ["the CA does not exist yet"]
    with pytest.raises(x.PkiError, match="ca_chain is empty"):
        run_cert(cert_params(tmp_path / "host", []))


def test_shrinking_the_window_below_the_remaining_lifetime_reissues_once(tmp_path, ca):
    ca_dir, chain = ca
    host = tmp_path / "host"
    issue(host, ca_dir, chain)
    first, signed, _second = issue(host, ca_dir, chain, renew_before_days=400)
    assert signed is not None and "inside the renewal window of 400 days" in first["reasons"][0]
    # The new certificate lives 365 days; with a window of 400 it is re-issued on every run, which is
    # what the window asks for. Back to 30 days nothing is re-issued.
    third, signed, _second = issue(host, ca_dir, chain, renew_before_days=30)
    assert signed is None and third["changed"] is False


def test_san_change_reissues_and_keeps_the_key(tmp_path, ca):
    ca_dir, chain = ca
    host = tmp_path / "host"
    issue(host, ca_dir, chain)
    key_before = (host / "host.key").read_bytes()
    first, _signed, _second = issue(host, ca_dir, chain, sans=("web1.lab", "10.0.0.5", "api.lab"))
    assert first["reasons"] == ["the SANs changed (add DNS:api.lab)"]
    assert (host / "host.key").read_bytes() == key_before
    assert "DNS:api.lab" in x.certificate_sans(x.load_certificate((host / "host.crt").read_bytes()))


def test_ca_change_reissues(tmp_path, ca):
    ca_dir, chain = ca
    host = tmp_path / "host"
    issue(host, ca_dir, chain)
    new_chain = run_ca(tmp_path / "ca2", subject={"common_name": "Unit Root CA"})["chain"]
    first, _signed, _second = issue(host, tmp_path / "ca2", new_chain)
    assert len(first["reasons"]) == 1 and first["reasons"][0].startswith("the CA changed")
    assert (host / "ca.crt").read_text() == new_chain[-1]


def test_invalid_san_fails_before_anything_is_written(tmp_path, ca):
    with pytest.raises(x.PkiError, match="'not a name'"):
        run_cert(cert_params(tmp_path / "host", ca[1], sans=("web1.lab", "not a name")))
    assert not (tmp_path / "host").exists()


def test_a_certificate_for_another_key_is_refused(tmp_path, ca):
    ca_dir, chain = ca
    host = tmp_path / "host"
    run_cert(cert_params(host, chain))
    other_csr = x_issue.csr_pem(x_issue.build_csr(x.generate_private_key(), ["DNS:web1.lab", "IP:10.0.0.5"]))
    foreign = run_sign(ca_dir, [{"name": "x", "csr": other_csr}])["certificates"]["x"]
    with pytest.raises(x.PkiError, match="does not belong to"):
        run_cert(cert_params(host, chain, certificate=foreign))


def test_a_certificate_with_other_sans_is_refused(tmp_path, ca):
    ca_dir, chain = ca
    host = tmp_path / "host"
    first = run_cert(cert_params(host, chain))[0]
    wrong = run_sign(ca_dir, [{"name": "x", "csr": first["csr"], "subject_alt_names": ["web1.lab"]}])["certificates"]["x"]
    with pytest.raises(x.PkiError, match=r"carries SANs DNS:web1\.lab, but subject_alt_names asks for"):
        run_cert(cert_params(host, chain, certificate=wrong))


def test_pkcs12_passphrase_change_rewrites_only_the_keystore(tmp_path, ca):
    ca_dir, chain = ca
    host = tmp_path / "host"
    issue(host, ca_dir, chain)
    result = run_cert(cert_params(host, chain, pkcs12_passphrase="changeit"))[0]
    assert result["actions"] == ["update %s" % (host / "host.p12")]
    pkcs12.load_key_and_certificates((host / "host.p12").read_bytes(), b"changeit")
    assert run_cert(cert_params(host, chain, pkcs12_passphrase="changeit"))[0]["changed"] is False


def test_mode_drift_is_repaired(tmp_path, ca):
    ca_dir, chain = ca
    host = tmp_path / "host"
    issue(host, ca_dir, chain)
    os.chmod(host / "host.key", 0o644)
    result = run_cert(cert_params(host, chain))[0]
    assert result["actions"] == ["set mode of %s to 0600" % (host / "host.key")]
    assert stat.S_IMODE(os.stat(host / "host.key").st_mode) == 0o600


def test_intermediate_ca_chain_is_written_in_order(tmp_path):
    chain = run_ca(tmp_path / "ca", intermediate=True)["chain"]
    host = tmp_path / "host"
    issue(host, tmp_path / "ca", chain)
    assert x.load_certificates((host / "chain.crt").read_text())[0].subject.rfc4514_string() == "CN=Unit Root CA Intermediate"
    assert (host / "ca.crt").read_text() == chain[1]


def test_existing_key_of_another_type_is_kept_with_a_warning(tmp_path, ca):
    ca_dir, chain = ca
    host = tmp_path / "host"
    issue(host, ca_dir, chain)
    result, module = run_cert(cert_params(host, chain, key_type="rsa"))
    assert result["changed"] is False
    assert "is ec:secp256r1, not rsa:3072" in module.warnings[0]
