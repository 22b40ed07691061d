# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure X.509 logic of the collection's PKI, the material: names (SANs, subjects, usages), keys,
certificates, chains and PKCS#12, built on the ``cryptography`` library. Requests, CA certificates,
signing, name constraints and the renewal decision are in :mod:`.x509_issue`.

Nothing here touches the file system or Ansible: every function takes data and returns data, so the
unit tests (and the filter plugins) use it directly. Works with cryptography 38 (Debian 12's
python3-cryptography) up to the current release.
"""

from __future__ import annotations

__metaclass__ = type

import datetime
import hashlib
import ipaddress
import re

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID
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
# Names: subject alternative names, subjects, extended key usages, name constraints, certificate facts
# ---------------------------------------------------------------------------------------------------

_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_SAN_PREFIXES = {"dns": "DNS", "ip": "IP", "email": "email", "uri": "URI"}


def _valid_dns_name(name):
    if not name or len(name) > 253:
        return False
    labels = name.rstrip(".").split(".")
    if labels[0] == "*":
        labels = labels[1:]
        if not labels:
            return False
    return all(_DNS_LABEL.match(label) for label in labels)


def normalize_san(value):
    """Return the canonical ``DNS:name`` / ``IP:address`` form of one SAN, or raise PkiError.

    Accepts ``DNS:host.example``, ``IP:192.0.2.1``, ``email:a@b``, ``URI:https://x`` and bare values:
    a bare value that parses as an IP address is an address, anything else must be a DNS name.
    """
    if not isinstance(value, str):
        raise PkiError("subject alternative name %r is not a string; give 'DNS:name' or 'IP:address'" % (value,))
    text = value.strip()
    kind = None
    if ":" in text:
        prefix, rest = text.split(":", 1)
        if prefix.lower() in _SAN_PREFIXES:
            kind, text = _SAN_PREFIXES[prefix.lower()], rest.strip()
    if kind is None:
        try:
            return "IP:%s" % ipaddress.ip_address(text).compressed
        except ValueError:
            kind = "DNS"
    if kind == "IP":
        try:
            return "IP:%s" % ipaddress.ip_address(text).compressed
        except ValueError:
            raise PkiError("subject alternative name %r is not an IP address; write it as IP:<v4 or v6 address>" % value) from None
    if kind == "DNS":
        name = text.lower().rstrip(".")
        if not _valid_dns_name(name):
            raise PkiError(
                "subject alternative name %r is neither a DNS name nor an IP address; use letters, digits and '-' "
                "in dot-separated labels (optionally '*.' first), or an IPv4/IPv6 address" % value)
        return "DNS:%s" % name
    if kind == "email":
        if "@" not in text or " " in text:
            raise PkiError("subject alternative name %r is not an e-mail address" % value)
        return "email:%s" % text
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", text):
        raise PkiError("subject alternative name %r is not a URI" % value)
    return "URI:%s" % text


def normalize_sans(values):
    """Canonical, de-duplicated, order-preserving SAN list; the first invalid entry raises PkiError."""
    result = []
    for value in values or []:
        san = normalize_san(value)
        if san not in result:
            result.append(san)
    return result


def sans_to_general_names(sans):
    names = []
    for san in sans:
        kind, value = san.split(":", 1)
        if kind == "DNS":
            names.append(x509.DNSName(value))
        elif kind == "IP":
            names.append(x509.IPAddress(ipaddress.ip_address(value)))
        elif kind == "email":
            names.append(x509.RFC822Name(value))
        else:
            names.append(x509.UniformResourceIdentifier(value))
    return names


def general_names_to_sans(names):
    result = []
    for name in names:
        if isinstance(name, x509.DNSName):
            result.append("DNS:%s" % name.value.lower())
        elif isinstance(name, x509.IPAddress):
            result.append("IP:%s" % name.value.compressed)
        elif isinstance(name, x509.RFC822Name):
            result.append("email:%s" % name.value)
        elif isinstance(name, x509.UniformResourceIdentifier):
            result.append("URI:%s" % name.value)
    return result


def certificate_sans(cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return general_names_to_sans(ext.value)


def name_constraint_subtrees(values, option):
    """``DNS:.lab.example`` / ``IP:10.0.0.0/8`` entries for the NameConstraints extension."""
    subtrees = []
    for value in values or []:
        kind, _sep, rest = str(value).partition(":")
        if kind.upper() == "DNS" and rest:
            subtrees.append(x509.DNSName(rest.lower()))
        elif kind.upper() == "IP" and rest:
            try:
                subtrees.append(x509.IPAddress(ipaddress.ip_network(rest, strict=True)))
            except ValueError:
                raise PkiError("%s entry %r is not a network; write IP:<address>/<prefix>, e.g. IP:10.0.0.0/8" % (option, value)) from None
        else:
            raise PkiError("%s entry %r must look like DNS:.example.org or IP:10.0.0.0/8" % (option, value))
    return subtrees


def certificate_info(cert, now=None):
    """Plain-data facts of one certificate (what the ``x509_info`` filter returns)."""
    now = now or utcnow()
    after = not_valid_after(cert)
    seconds = (after - now).total_seconds()
    try:
        eku = [oid.dotted_string for oid in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        eku = []
    names = {v: k for k, v in _EKU_NAMES.items()}
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "common_name": _common_name(cert.subject),
        "serial_number": cert.serial_number,
        "not_before": format_time(not_valid_before(cert)),
        "not_after": format_time(after),
        "days_until_expiry": int(seconds // 86400),
        "expired": seconds <= 0,
        "fingerprint_sha256": fingerprint_colons(cert),
        "public_key_fingerprint_sha256": public_key_fingerprint(cert.public_key()),
        "public_key": describe_key(cert.public_key()),
        "subject_alt_names": certificate_sans(cert),
        "extended_key_usage": [names.get(oid, oid) for oid in eku],
        "is_ca": is_ca(cert),
        "self_signed": cert.issuer == cert.subject,
    }


def _common_name(name):
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


_NAME_ATTRIBUTES = {
    "common_name": "COMMON_NAME",
    "organization_name": "ORGANIZATION_NAME",
    "organizational_unit_name": "ORGANIZATIONAL_UNIT_NAME",
    "country_name": "COUNTRY_NAME",
    "state_or_province_name": "STATE_OR_PROVINCE_NAME",
    "locality_name": "LOCALITY_NAME",
    "email_address": "EMAIL_ADDRESS",
}


_EKU_NAMES = {
    "server": "1.3.6.1.5.5.7.3.1",
    "client": "1.3.6.1.5.5.7.3.2",
    "code_signing": "1.3.6.1.5.5.7.3.3",
    "email_protection": "1.3.6.1.5.5.7.3.4",
    "time_stamping": "1.3.6.1.5.5.7.3.8",
    "ocsp_signing": "1.3.6.1.5.5.7.3.9",
}


def build_name(subject):
    """An x509.Name from a dict such as ``{common_name: host, organization_name: Lab}``."""
    attributes = []
    for key, value in (subject or {}).items():
        if value in (None, ""):
            continue
        if key not in _NAME_ATTRIBUTES:
            raise PkiError("unknown subject field %r; use %s" % (key, ", ".join(sorted(_NAME_ATTRIBUTES))))
        attributes.append(x509.NameAttribute(getattr(NameOID, _NAME_ATTRIBUTES[key]), str(value)))
    return x509.Name(attributes)


def eku_oids(usages):
    result = []
    for usage in usages or []:
        oid = _EKU_NAMES.get(usage, usage)
        if not re.match(r"^\d+(\.\d+)+$", oid):
            raise PkiError("unknown extended key usage %r; use %s or a dotted OID" % (usage, ", ".join(sorted(_EKU_NAMES))))
        result.append(x509.ObjectIdentifier(oid))
    return result


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
