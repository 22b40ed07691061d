# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure X.509 names: subject alternative names (normalised ``DNS:``/``IP:``/``email:``/``URI:``
strings), subject names, extended key usages, name constraints, and a certificate's facts as data.

Used by :mod:`.x509_issue` (requests and signing), the back ends and the ``pki`` filters.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.ironclad.infra.plugins.module_utils._pki.x509 import (
    PkiError,
    describe_key,
    fingerprint_colons,
    format_time,
    is_ca,
    not_valid_after,
    not_valid_before,
    public_key_fingerprint,
    utcnow,
)

__metaclass__ = type

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
except ImportError:  # pragma: no cover - reported by x509.CRYPTOGRAPHY_IMPORT_ERROR (the modules' REQUIRED_LIBRARY)
    pass


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
