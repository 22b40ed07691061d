# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure X.509 issuing: certificate signing requests, CA certificates, signing a request (within the
CA's name constraints), and the renewal decision of an issued certificate (the reasons to issue again)."""

from __future__ import annotations

import datetime
import ipaddress

from ansible_collections.ironclad.infra.plugins.module_utils._pki.x509 import (
    PkiError,
    build_name,
    certificate_sans,
    eku_oids,
    fingerprint_colons,
    format_time,
    general_names_to_sans,
    is_ca,
    not_valid_after,
    not_valid_before,
    same_public_key,
    sans_to_general_names,
    signed_by,
    signing_hash,
    to_bytes,
    utcnow,
)

__metaclass__ = type

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError:  # pragma: no cover - reported by x509.CRYPTOGRAPHY_IMPORT_ERROR (the modules' REQUIRED_LIBRARY)
    pass


def build_csr(key, sans, subject=None):
    """A CSR for ``key`` carrying the canonical ``sans``; CN defaults to the first DNS SAN."""
    subject = dict(subject or {})
    if not subject.get("common_name"):
        dns = [s.split(":", 1)[1] for s in sans if s.startswith("DNS:")]
        subject["common_name"] = dns[0] if dns else (sans[0].split(":", 1)[1] if sans else "host")
    builder = x509.CertificateSigningRequestBuilder().subject_name(build_name(subject))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans_to_general_names(sans)), critical=False)
    return builder.sign(key, signing_hash(key))


def csr_pem(csr):
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_csr(data, source="certificate signing request"):
    try:
        csr = x509.load_pem_x509_csr(to_bytes(data))
    except ValueError as exc:
        raise PkiError("%s is not a PEM CSR: %s" % (source, exc)) from exc
    if not csr.is_signature_valid:
        raise PkiError("%s has an invalid signature (it was not made with the key it carries)" % source)
    return csr


def csr_sans(csr):
    try:
        ext = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return general_names_to_sans(ext.value)


def _ski(public_key):
    return x509.SubjectKeyIdentifier.from_public_key(public_key)


def build_ca_certificate(key, subject, validity_days, issuer_cert=None, issuer_key=None, path_length=None,
                         permitted=None, excluded=None, now=None):
    """A CA certificate: self-signed root when ``issuer_cert`` is None, else an intermediate."""
    now = now or utcnow()
    name = build_name(subject)
    signer_key = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=validity_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(_ski(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
    )
    if permitted or excluded:
        builder = builder.add_extension(
            x509.NameConstraints(permitted_subtrees=permitted or None, excluded_subtrees=excluded or None), critical=True)
    if issuer_cert is not None:
        end = not_valid_after(issuer_cert)
        if now + datetime.timedelta(days=validity_days) > end:
            builder = builder.not_valid_after(end)
    return builder.sign(signer_key, signing_hash(signer_key))


def check_ca_usable(cert, now=None, source="CA certificate"):
    """Raise PkiError when ``cert`` cannot sign: not a CA, not yet valid, or expired."""
    now = now or utcnow()
    if not is_ca(cert):
        raise PkiError("%s (%s) is not a CA certificate (basicConstraints CA:TRUE missing)" % (source, cert.subject.rfc4514_string()))
    if not_valid_after(cert) <= now:
        raise PkiError(
            "%s (%s) expired on %s; it cannot sign anything. Create a new CA (move the old CA directory away) and "
            "re-run: every certificate is then re-issued from the new CA" % (source, cert.subject.rfc4514_string(), format_time(not_valid_after(cert))))
    if not_valid_before(cert) > now:
        raise PkiError("%s (%s) is not valid before %s; check the clock of the CA host"
                       % (source, cert.subject.rfc4514_string(), format_time(not_valid_before(cert))))


def sign_certificate(csr, ca_cert, ca_key, sans, validity_days, extended_key_usage=("server", "client"),
                     now=None, subject=None):
    """Issue a leaf certificate for the key in ``csr`` with exactly ``sans`` (the CA's decision, not the CSR's)."""
    now = now or utcnow()
    check_ca_usable(ca_cert, now)
    public = csr.public_key()
    end = now + datetime.timedelta(days=validity_days)
    ca_end = not_valid_after(ca_cert)
    if end > ca_end:
        end = ca_end
    key_usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False,
        key_encipherment=isinstance(public, rsa.RSAPublicKey), data_encipherment=False,
        key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
    builder = (
        x509.CertificateBuilder()
        .subject_name(build_name(subject) if subject else csr.subject)
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(_ski(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
    )
    if extended_key_usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku_oids(extended_key_usage)), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans_to_general_names(sans)), critical=False)
    return builder.sign(ca_key, signing_hash(ca_key))


def renewal_reasons(cert, key, wanted_sans, issuer, renew_before_days, now=None, wanted_eku=None):
    """Why ``cert`` must be re-issued; an empty list means keep it.

    Re-issue when the certificate is missing, does not belong to ``key``, was not issued by ``issuer``
    (the CA changed), carries other SANs (or extended key usages) than wanted, or has fewer than
    ``renew_before_days`` days left. Never otherwise.
    """
    if cert is None:
        return ["no certificate yet"]
    now = now or utcnow()
    reasons = []
    if key is not None and not same_public_key(cert.public_key(), key):
        reasons.append("the certificate does not belong to the private key")
    if issuer is not None and not signed_by(cert, issuer):
        reasons.append("the CA changed (the certificate was issued by %s, the CA is now %s with fingerprint %s)"
                       % (cert.issuer.rfc4514_string(), issuer.subject.rfc4514_string(), fingerprint_colons(issuer)[:23]))
    have = certificate_sans(cert)
    if set(have) != set(wanted_sans):
        added = sorted(set(wanted_sans) - set(have))
        removed = sorted(set(have) - set(wanted_sans))
        parts = []
        if added:
            parts.append("add " + ", ".join(added))
        if removed:
            parts.append("remove " + ", ".join(removed))
        reasons.append("the SANs changed (%s)" % "; ".join(parts))
    if wanted_eku is not None:
        try:
            have_eku = {o.dotted_string for o in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value}
        except x509.ExtensionNotFound:
            have_eku = set()
        if have_eku != {o.dotted_string for o in eku_oids(wanted_eku)}:
            reasons.append("the extended key usage changed")
    after = not_valid_after(cert)
    left = after - now
    if left <= datetime.timedelta(0):
        reasons.append("it expired on %s" % format_time(after))
    elif left < datetime.timedelta(days=renew_before_days):
        reasons.append("it expires on %s, %s days from now, inside the renewal window of %s days"
                       % (format_time(after), left.days, renew_before_days))
    return reasons


def check_name_constraints(sans, chain):
    """Raise PkiError when a SAN falls outside a NameConstraints extension of the CA chain."""
    for ca in chain:
        try:
            nc = ca.extensions.get_extension_for_class(x509.NameConstraints).value
        except x509.ExtensionNotFound:
            continue
        for san in sans:
            kind, value = san.split(":", 1)
            if not _name_allowed(kind, value, nc):
                raise PkiError("subject alternative name %s is outside the name constraints of CA %s"
                               % (san, ca.subject.rfc4514_string()))


def _matches(kind, value, subtree):
    if kind == "DNS" and isinstance(subtree, x509.DNSName):
        base = subtree.value.lower().lstrip(".")
        return value == base or value.endswith("." + base)
    if kind == "IP" and isinstance(subtree, x509.IPAddress):
        return ipaddress.ip_address(value) in subtree.value
    return None


def _name_allowed(kind, value, nc):
    for subtree in nc.excluded_subtrees or []:
        if _matches(kind, value, subtree):
            return False
    permitted = [s for s in (nc.permitted_subtrees or []) if _matches(kind, value, s) is not None]
    if not permitted:
        return True
    return any(_matches(kind, value, s) for s in permitted)
