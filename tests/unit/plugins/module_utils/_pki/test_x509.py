"""Pure X.509 logic: SAN parsing, renewal decisions, chain building, PKCS#12, CA checks, signing."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509 as x
from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509_issue as x_issue
from cryptography.hazmat.primitives.serialization import pkcs12

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def pki():
    """A root CA, an intermediate signed by it, and a leaf key + certificate issued by the intermediate."""
    root_key = x.generate_private_key("ec", "secp256r1")
    root = x_issue.build_ca_certificate(root_key, {"common_name": "Test Root"}, 3650, now=NOW)
    inter_key = x.generate_private_key("ec", "secp256r1")
    inter = x_issue.build_ca_certificate(inter_key, {"common_name": "Test Intermediate"}, 1000, issuer_cert=root,
                                         issuer_key=root_key, path_length=0, now=NOW)
    leaf_key = x.generate_private_key("ec", "secp256r1")
    sans = ["DNS:web1.lab", "IP:10.0.0.5"]
    csr = x_issue.build_csr(leaf_key, sans)
    leaf = x_issue.sign_certificate(csr, inter, inter_key, sans, 90, now=NOW)
    return {"root_key": root_key, "root": root, "inter_key": inter_key, "inter": inter,
            "leaf_key": leaf_key, "leaf": leaf, "sans": sans}


# --- SANs ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("web1.lab", "DNS:web1.lab"),
    ("DNS:Web1.LAB.", "DNS:web1.lab"),
    ("dns:*.apps.lab", "DNS:*.apps.lab"),
    ("10.0.0.5", "IP:10.0.0.5"),
    ("IP:fd00:0:0::5", "IP:fd00::5"),
    ("email:ops@lab.example", "email:ops@lab.example"),
    ("URI:spiffe://lab/web", "URI:spiffe://lab/web"),
    ("ict-pki-a-d12", "DNS:ict-pki-a-d12"),
])
def test_normalize_san_accepts_names_and_addresses(value, expected):
    assert x.normalize_san(value) == expected


@pytest.mark.parametrize("value", ["not a name", "-leading.lab", "a..b", "IP:999.1.1.1", "IP:web1", "", "x" * 64 + ".lab", "*"])
def test_normalize_san_rejects_invalid_entries_naming_them(value):
    with pytest.raises(x.PkiError) as err:
        x.normalize_san(value)
    assert repr(value) in str(err.value)


def test_normalize_sans_deduplicates_and_keeps_order():
    assert x.normalize_sans(["b.lab", "10.0.0.1", "DNS:B.lab", "a.lab"]) == ["DNS:b.lab", "IP:10.0.0.1", "DNS:a.lab"]


def test_normalize_sans_fails_on_the_first_invalid_entry():
    with pytest.raises(x.PkiError, match="'bad name'"):
        x.normalize_sans(["ok.lab", "bad name"])


# --- Renewal decision ------------------------------------------------------------------------------

def test_renewal_missing_certificate(pki):
    assert x_issue.renewal_reasons(None, pki["leaf_key"], pki["sans"], pki["inter"], 30, now=NOW) == ["no certificate yet"]


def test_renewal_keeps_a_good_certificate(pki):
    assert x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], pki["sans"], pki["inter"], 30, now=NOW) == []


def test_renewal_ignores_san_order(pki):
    assert x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], list(reversed(pki["sans"])), pki["inter"], 30, now=NOW) == []


def test_renewal_never_inside_lifetime_outside_window(pki):
    # 90-day certificate: one day before the 30-day window opens nothing happens, inside it a renewal does.
    before_window = NOW + datetime.timedelta(days=59)
    inside_window = NOW + datetime.timedelta(days=61)
    assert x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], pki["sans"], pki["inter"], 30, now=before_window) == []
    reasons = x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], pki["sans"], pki["inter"], 30, now=inside_window)
    assert len(reasons) == 1 and "renewal window of 30 days" in reasons[0]


def test_renewal_when_threshold_exceeds_remaining_lifetime(pki):
    reasons = x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], pki["sans"], pki["inter"], 100, now=NOW)
    assert len(reasons) == 1 and "renewal window of 100 days" in reasons[0]


def test_renewal_when_expired(pki):
    reasons = x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], pki["sans"], pki["inter"], 30, now=NOW + datetime.timedelta(days=200))
    assert reasons == ["it expired on %s" % x.format_time(x.not_valid_after(pki["leaf"]))]


def test_renewal_when_sans_change(pki):
    reasons = x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], ["DNS:web1.lab", "DNS:api.lab"], pki["inter"], 30, now=NOW)
    assert reasons == ["the SANs changed (add DNS:api.lab; remove IP:10.0.0.5)"]


def test_renewal_when_ca_changes(pki):
    other_key = x.generate_private_key()
    other = x_issue.build_ca_certificate(other_key, {"common_name": "Test Intermediate"}, 100, now=NOW)
    reasons = x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], pki["sans"], other, 30, now=NOW)
    assert len(reasons) == 1 and reasons[0].startswith("the CA changed")


def test_renewal_when_key_changes(pki):
    reasons = x_issue.renewal_reasons(pki["leaf"], x.generate_private_key(), pki["sans"], pki["inter"], 30, now=NOW)
    assert reasons == ["the certificate does not belong to the private key"]


def test_renewal_when_extended_key_usage_changes(pki):
    assert x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], pki["sans"], pki["inter"], 30, now=NOW, wanted_eku=["server", "client"]) == []
    assert x_issue.renewal_reasons(pki["leaf"], pki["leaf_key"], pki["sans"], pki["inter"], 30, now=NOW,
                                   wanted_eku=["server"]) == ["the extended key usage changed"]


# --- Chains ----------------------------------------------------------------------------------------

def test_build_chain_orders_a_shuffled_pool_and_drops_strangers(pki):
    stranger = x_issue.build_ca_certificate(x.generate_private_key(), {"common_name": "Stranger"}, 10, now=NOW)
    chain = x.build_chain(pki["leaf"], [pki["root"], stranger, pki["inter"]])
    assert [c.subject.rfc4514_string() for c in chain] == ["CN=Test Intermediate", "CN=Test Root"]


def test_build_chain_fails_without_the_issuer(pki):
    with pytest.raises(x.PkiError, match="no CA certificate issued"):
        x.build_chain(pki["leaf"], [pki["root"]])


def test_signed_by_checks_the_signature_not_only_the_name(pki):
    impostor = x_issue.build_ca_certificate(x.generate_private_key(), {"common_name": "Test Intermediate"}, 10, now=NOW)
    assert x.signed_by(pki["leaf"], pki["inter"])
    assert not x.signed_by(pki["leaf"], impostor)


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_signed_by_other_key_types(key_type):
    key = x.generate_private_key(key_type, size=2048)
    ca = x_issue.build_ca_certificate(key, {"common_name": "CA " + key_type}, 10, now=NOW)
    leaf_key = x.generate_private_key(key_type, size=2048)
    leaf = x_issue.sign_certificate(x_issue.build_csr(leaf_key, ["DNS:a.lab"]), ca, key, ["DNS:a.lab"], 5, now=NOW)
    assert x.signed_by(leaf, ca)
    assert x.build_chain(leaf, [ca]) == [ca]


def test_load_certificates_reads_a_bundle_in_order(pki):
    bundle = x.certificate_pem(pki["inter"]) + x.certificate_pem(pki["root"])
    assert [x.fingerprint(c) for c in x.load_certificates(bundle)] == [x.fingerprint(pki["inter"]), x.fingerprint(pki["root"])]
    assert x.load_certificates([x.certificate_pem(pki["root"])])[0] == pki["root"]


# --- PKCS#12 ---------------------------------------------------------------------------------------

def test_pkcs12_round_trip_with_passphrase(pki):
    cas = [pki["inter"], pki["root"]]
    data = x.pkcs12_bytes(pki["leaf_key"], pki["leaf"], cas, "changeit", "web1")
    key, cert, extra = pkcs12.load_key_and_certificates(data, b"changeit")
    assert x.same_public_key(key, pki["leaf_key"])
    assert cert == pki["leaf"]
    assert sorted(x.fingerprint(c) for c in extra) == sorted(x.fingerprint(c) for c in cas)
    assert x.pkcs12_matches(data, pki["leaf_key"], pki["leaf"], cas, "changeit")


def test_pkcs12_matches_detects_differences(pki):
    cas = [pki["inter"], pki["root"]]
    data = x.pkcs12_bytes(pki["leaf_key"], pki["leaf"], cas, "changeit")
    assert not x.pkcs12_matches(data, pki["leaf_key"], pki["leaf"], cas, "wrong")
    assert not x.pkcs12_matches(data, pki["leaf_key"], pki["leaf"], [pki["root"]], "changeit")
    assert not x.pkcs12_matches(data, x.generate_private_key(), pki["leaf"], cas, "changeit")
    assert not x.pkcs12_matches(b"garbage", pki["leaf_key"], pki["leaf"], cas, "changeit")


def test_pkcs12_without_passphrase(pki):
    data = x.pkcs12_bytes(pki["leaf_key"], pki["leaf"], [pki["root"]])
    assert x.pkcs12_matches(data, pki["leaf_key"], pki["leaf"], [pki["root"]], None)


# --- Keys, CA checks, signing ----------------------------------------------------------------------

def test_encrypted_key_needs_the_right_passphrase():
    key = x.generate_private_key()
    pem = x.private_key_pem(key, "s3cret")
    assert x.same_public_key(x.load_private_key(pem, "s3cret"), key)
    with pytest.raises(x.PkiError, match="the passphrase does not open the CA key"):
        x.load_private_key(pem, "wrong", "the CA key")
    with pytest.raises(x.PkiError, match="encrypted but no passphrase"):
        x.load_private_key(pem, None, "the CA key")


def test_unencrypted_key_with_passphrase_is_reported():
    pem = x.private_key_pem(x.generate_private_key())
    with pytest.raises(x.PkiError, match="not encrypted"):
        x.load_private_key(pem, "s3cret")


def test_expired_ca_cannot_sign(pki):
    long_ago = NOW - datetime.timedelta(days=400)
    key = x.generate_private_key()
    old = x_issue.build_ca_certificate(key, {"common_name": "Old CA"}, 30, now=long_ago)
    with pytest.raises(x.PkiError, match=r"CA certificate \(CN=Old CA\) expired on"):
        x_issue.check_ca_usable(old, now=NOW)
    with pytest.raises(x.PkiError, match="expired"):
        x_issue.sign_certificate(x_issue.build_csr(pki["leaf_key"], ["DNS:a.lab"]), old, key, ["DNS:a.lab"], 10, now=NOW)


def test_non_ca_cannot_sign(pki):
    with pytest.raises(x.PkiError, match="not a CA certificate"):
        x_issue.check_ca_usable(pki["leaf"], now=NOW)


def test_signing_uses_the_ca_decided_sans_and_clamps_to_the_ca_lifetime(pki):
    csr = x_issue.build_csr(pki["leaf_key"], ["DNS:evil.example"])
    cert = x_issue.sign_certificate(csr, pki["inter"], pki["inter_key"], ["DNS:web1.lab"], 5000, now=NOW)
    assert x.certificate_sans(cert) == ["DNS:web1.lab"]
    assert x.not_valid_after(cert) == x.not_valid_after(pki["inter"])
    info = x.certificate_info(cert, now=NOW)
    assert info["extended_key_usage"] == ["server", "client"]
    assert info["is_ca"] is False


def test_name_constraints_are_enforced():
    key = x.generate_private_key()
    ca = x_issue.build_ca_certificate(key, {"common_name": "Constrained"}, 10, now=NOW,
                                      permitted=x.name_constraint_subtrees(["DNS:.lab.example", "IP:10.0.0.0/8"], "permitted"))
    x_issue.check_name_constraints(["DNS:web.lab.example", "IP:10.1.2.3"], [ca])
    with pytest.raises(x.PkiError, match=r"DNS:web\.other\.example is outside the name constraints"):
        x_issue.check_name_constraints(["DNS:web.other.example"], [ca])
    with pytest.raises(x.PkiError, match=r"IP:192\.0\.2\.1 is outside"):
        x_issue.check_name_constraints(["IP:192.0.2.1"], [ca])


def test_name_constraint_entries_are_validated():
    with pytest.raises(x.PkiError, match="must look like"):
        x.name_constraint_subtrees(["lab.example"], "name_constraints_permitted")
    with pytest.raises(x.PkiError, match="is not a network"):
        x.name_constraint_subtrees(["IP:10.0.0.1/8"], "name_constraints_permitted")


def test_certificate_info_reports_expiry_fingerprint_sans_and_issuer(pki):
    info = x.certificate_info(pki["leaf"], now=NOW)
    assert info["issuer"] == "CN=Test Intermediate"
    assert info["common_name"] == "web1.lab"
    assert info["subject_alt_names"] == ["DNS:web1.lab", "IP:10.0.0.5"]
    assert info["days_until_expiry"] == 90  # valid for 90 days from NOW
    assert len(info["fingerprint_sha256"].split(":")) == 32
    assert info["public_key"] == "ec:secp256r1"


@pytest.mark.parametrize("args,message", [
    (("ec", "secp999"), "unknown curve"),
    (("rsa", "secp256r1", 1024), "shorter than 2048"),
    (("dsa",), "unknown key type"),
])
def test_key_generation_rejects_bad_parameters(args, message):
    with pytest.raises(x.PkiError, match=message):
        x.generate_private_key(*args)


def test_build_name_rejects_unknown_fields():
    with pytest.raises(x.PkiError, match="unknown subject field 'cn'"):
        x.build_name({"cn": "x"})
