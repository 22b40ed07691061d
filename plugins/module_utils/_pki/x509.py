# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure X.509 logic of the collection's PKI, the material: keys, certificates, chains and PKCS#12, built
on the ``cryptography`` library. Names (SANs, subjects, usages, name constraints) are in
:mod:`.x509_names`; requests, CA certificates, signing and the renewal decision in :mod:`.x509_issue`.

Nothing here touches the file system or Ansible: every function takes data and returns data, so the
unit tests (and the filter plugins) use it directly. Works with cryptography 38 (Debian 12's
python3-cryptography) up to the current release.
"""

from __future__ import annotations

__metaclass__ = type

import datetime
import hashlib
import re

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
except ImportError as exc:  # pragma: no cover - exercised on hosts without the library
    CRYPTOGRAPHY_IMPORT_ERROR = exc


class PkiError(Exception):
    """Bad input or unusable material; the message says what is wrong and how to fix it."""


# ---------------------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------------------

def utcnow():
    return datetime.datetime.now(datetime.UTC)


def _aware(value):
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value


def not_valid_after(cert):
    """``notAfter`` as an aware UTC datetime (cryptography < 42 only has the naive property)."""
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else _aware(cert.not_valid_after)


def not_valid_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else _aware(cert.not_valid_before)


def format_time(value):
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------------

_CURVES = {
    "secp256r1": "SECP256R1",
    "secp384r1": "SECP384R1",
    "secp521r1": "SECP521R1",
}


def generate_private_key(key_type="ec", curve="secp256r1", size=3072):
    if key_type == "ec":
        if curve not in _CURVES:
            raise PkiError("unknown curve %r; use one of %s" % (curve, ", ".join(sorted(_CURVES))))
        return ec.generate_private_key(getattr(ec, _CURVES[curve])())
    if key_type == "rsa":
        if size < 2048:
            raise PkiError("RSA keys shorter than 2048 bits are not accepted (got %s)" % size)
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise PkiError("unknown key type %r; use ec, rsa or ed25519" % key_type)


def describe_key(key):
    """``ec:secp256r1``, ``rsa:3072`` or ``ed25519`` for a private or public key."""
    public = key.public_key() if hasattr(key, "public_key") else key
    if isinstance(public, ec.EllipticCurvePublicKey):
        return "ec:%s" % public.curve.name
    if isinstance(public, rsa.RSAPublicKey):
        return "rsa:%s" % public.key_size
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "ed25519"
    return type(public).__name__


def wanted_key_description(key_type, curve, size):
    if key_type == "ec":
        return "ec:%s" % curve
    if key_type == "rsa":
        return "rsa:%s" % size
    return key_type


def private_key_pem(key, passphrase=None):
    encryption = serialization.NoEncryption()
    if passphrase:
        encryption = serialization.BestAvailableEncryption(to_bytes(passphrase))
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_private_key(data, passphrase=None, source="private key"):
    """Load a PEM private key; a missing or wrong passphrase raises PkiError naming ``source``."""
    password = to_bytes(passphrase) if passphrase else None
    try:
        return serialization.load_pem_private_key(to_bytes(data), password=password)
    except TypeError as exc:
        if password is None:
            raise PkiError("%s is encrypted but no passphrase was given; set the passphrase option" % source) from exc
        raise PkiError("%s is not encrypted, but a passphrase was given (%s); remove the passphrase option" % (source, exc)) from exc
    except ValueError as exc:
        if password is not None and ("decrypt" in str(exc).lower() or "password" in str(exc).lower()):
            raise PkiError("the passphrase does not open %s (wrong passphrase?); nothing was written" % source) from exc
        raise PkiError("%s cannot be read: %s" % (source, exc)) from exc


def public_key_fingerprint(key):
    public = key.public_key() if hasattr(key, "public_key") else key
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def same_public_key(a, b):
    return public_key_fingerprint(a) == public_key_fingerprint(b)


def signing_hash(key):
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def to_bytes(value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


# ---------------------------------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------------------------------

def load_certificate(data, source="certificate"):
    try:
        return x509.load_pem_x509_certificate(to_bytes(data))
    except ValueError as exc:
        raise PkiError("%s is not a PEM certificate: %s" % (source, exc)) from exc


_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def load_certificates(data, source="certificate bundle"):
    """All certificates of a PEM bundle (a string, or a list of PEM strings), in order."""
    if isinstance(data, (list, tuple)):
        data = "\n".join(data)
    blocks = _PEM_CERT.findall(to_bytes(data or ""))
    return [load_certificate(block, source) for block in blocks]


def certificate_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def fingerprint(cert):
    return cert.fingerprint(hashes.SHA256()).hex()


def fingerprint_colons(cert):
    raw = fingerprint(cert).upper()
    return ":".join(raw[i:i + 2] for i in range(0, len(raw), 2))


def is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def signed_by(cert, issuer):
    """True when ``issuer`` (a certificate) issued ``cert``: the names link and its key verifies the signature."""
    if cert.issuer != issuer.subject:
        return False
    public = issuer.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def build_chain(leaf, pool):
    """Order the CA certificates that issued ``leaf``: [issuer, its issuer, ..., root].

    ``pool`` may hold the CA certificates in any order (and unrelated ones, which are dropped). Raises
    PkiError when the chain does not end in a self-signed root.
    """
    chain = []
    current = leaf
    remaining = list(pool)
    while True:
        if current is not leaf and current.issuer == current.subject and signed_by(current, current):
            return chain
        issuer = next((c for c in remaining if signed_by(current, c)), None)
        if issuer is None:
            raise PkiError(
                "no CA certificate issued %s (issuer %s); give the full CA chain up to the root"
                % (current.subject.rfc4514_string() or "the certificate", current.issuer.rfc4514_string()))
        if not is_ca(issuer):
            raise PkiError("%s issued a certificate but is not a CA certificate" % issuer.subject.rfc4514_string())
        chain.append(issuer)
        remaining.remove(issuer)
        current = issuer


# ---------------------------------------------------------------------------------------------------
# PKCS#12
# ---------------------------------------------------------------------------------------------------

def pkcs12_bytes(key, cert, cas, passphrase=None, friendly_name=None):
    encryption = serialization.NoEncryption()
    if passphrase:
        encryption = serialization.BestAvailableEncryption(to_bytes(passphrase))
    return pkcs12.serialize_key_and_certificates(
        to_bytes(friendly_name) if friendly_name else None, key, cert, list(cas) or None, encryption)


def pkcs12_matches(data, key, cert, cas, passphrase=None):
    """True when the PKCS#12 ``data`` opens with ``passphrase`` and holds exactly this key, cert and CAs."""
    try:
        have_key, have_cert, have_cas = pkcs12.load_key_and_certificates(
            data, to_bytes(passphrase) if passphrase else None)
    except (ValueError, TypeError):
        return False
    if have_key is None or have_cert is None or not same_public_key(have_key, key):
        return False
    if fingerprint(have_cert) != fingerprint(cert):
        return False
    return sorted(fingerprint(c) for c in have_cas or []) == sorted(fingerprint(c) for c in cas)
