# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure OpenSSH certificate logic: parse public keys and certificates (plain Python, so hosts with an old
``cryptography`` can evaluate their certificates), decide renewal, and sign with ``cryptography``'s
SSHCertificateBuilder on the CA host."""

from __future__ import annotations

__metaclass__ = type

import base64
import binascii
import datetime
import hashlib
import secrets
import struct

SSH_SIGNING_IMPORT_ERROR = None
try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import (
        SSHCertificateBuilder,
        SSHCertificateType,
        load_ssh_private_key,
        load_ssh_public_key,
    )
except ImportError as exc:  # cryptography < 40 or missing: parsing still works, signing does not
    SSH_SIGNING_IMPORT_ERROR = exc

CERT_TYPE_USER = 1
CERT_TYPE_HOST = 2

# Number of wire fields after the key type in a public key, per base key type.
_KEY_FIELDS = {
    "ssh-ed25519": 1,
    "ecdsa-sha2-nistp256": 2,
    "ecdsa-sha2-nistp384": 2,
    "ecdsa-sha2-nistp521": 2,
    "ssh-rsa": 2,
}
_CERT_SUFFIX = "-cert-v01@openssh.com"
USER_EXTENSIONS = ("permit-X11-forwarding", "permit-agent-forwarding", "permit-port-forwarding", "permit-pty", "permit-user-rc")


class SshCertError(Exception):
    """Bad input or unusable material; the message says what is wrong."""


def _read_string(data, offset):
    if offset + 4 > len(data):
        raise SshCertError("truncated SSH wire data")
    (length,) = struct.unpack(">I", data[offset:offset + 4])
    start = offset + 4
    if start + length > len(data):
        raise SshCertError("truncated SSH wire data")
    return data[start:start + length], start + length


def _read_uint(data, offset, size):
    if offset + size > len(data):
        raise SshCertError("truncated SSH wire data")
    fmt = ">I" if size == 4 else ">Q"
    return struct.unpack(fmt, data[offset:offset + size])[0], offset + size


def _string(value):
    return struct.pack(">I", len(value)) + value


def parse_line(line, what="SSH public key"):
    """Split an OpenSSH ``type base64 [comment]`` line into (type, blob, comment)."""
    parts = (line or "").strip().split(None, 2)
    if len(parts) < 2:
        raise SshCertError("%s %r is not an OpenSSH line ('<type> <base64> [comment]')" % (what, (line or "")[:40]))
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise SshCertError("%s of type %s has invalid base64 data" % (what, parts[0])) from None
    inner = _read_string(blob, 0)[0]
    if inner.decode("ascii", "replace") != parts[0]:
        raise SshCertError("%s says %s but its data is %s" % (what, parts[0], inner.decode("ascii", "replace")))
    return parts[0], blob, parts[2] if len(parts) > 2 else ""


def public_key_blob(line):
    key_type, blob, _comment = parse_line(line)
    if key_type not in _KEY_FIELDS:
        raise SshCertError("unsupported SSH public key type %s (use ed25519, ecdsa or rsa)" % key_type)
    return blob


def key_fingerprint(blob):
    """OpenSSH-style ``SHA256:...`` fingerprint of a key blob."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def parse_certificate(line):
    """Facts of an OpenSSH certificate line: type, key blob, serial, principals, validity, CA key blob."""
    cert_type, blob, _comment = parse_line(line, "SSH certificate")
    if not cert_type.endswith(_CERT_SUFFIX):
        raise SshCertError("%s is not an OpenSSH certificate type" % cert_type)
    base = cert_type[:-len(_CERT_SUFFIX)]
    if base not in _KEY_FIELDS:
        raise SshCertError("unsupported SSH certificate type %s" % cert_type)
    _type, offset = _read_string(blob, 0)
    _nonce, offset = _read_string(blob, offset)
    key_fields_start = offset
    for _dummy in range(_KEY_FIELDS[base]):
        offset = _read_string(blob, offset)[1]
    key_blob = _string(base.encode("ascii")) + blob[key_fields_start:offset]
    serial, offset = _read_uint(blob, offset, 8)
    kind, offset = _read_uint(blob, offset, 4)
    key_id, offset = _read_string(blob, offset)
    principals_raw, offset = _read_string(blob, offset)
    principals = []
    inner = 0
    while inner < len(principals_raw):
        value, inner = _read_string(principals_raw, inner)
        principals.append(value.decode("utf-8"))
    valid_after, offset = _read_uint(blob, offset, 8)
    valid_before, offset = _read_uint(blob, offset, 8)
    _critical, offset = _read_string(blob, offset)
    _extensions, offset = _read_string(blob, offset)
    _reserved, offset = _read_string(blob, offset)
    ca_blob, offset = _read_string(blob, offset)
    return {
        "type": "host" if kind == CERT_TYPE_HOST else "user" if kind == CERT_TYPE_USER else str(kind),
        "key_type": base,
        "key_blob": key_blob,
        "serial": serial,
        "key_id": key_id.decode("utf-8", "replace"),
        "principals": principals,
        "valid_after": valid_after,
        "valid_before": valid_before,
        "ca_blob": ca_blob,
    }


def certificate_facts(info):
    """JSON-safe subset of parse_certificate()."""
    return {
        "type": info["type"],
        "key_type": info["key_type"],
        "serial": info["serial"],
        "key_id": info["key_id"],
        "principals": info["principals"],
        "valid_after": _fmt(info["valid_after"]),
        "valid_before": _fmt(info["valid_before"]),
        "key_fingerprint": key_fingerprint(info["key_blob"]),
        "ca_fingerprint": key_fingerprint(info["ca_blob"]),
    }


def _fmt(timestamp):
    if timestamp >= 2 ** 63:
        return "forever"
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def renewal_reasons(cert_line, host_key_line, principals, ca_key_lines, renew_before_days, now=None):
    """Why the host key must be (re-)signed; an empty list means keep the certificate."""
    if not cert_line:
        return ["no certificate yet"]
    try:
        info = parse_certificate(cert_line)
    except SshCertError as exc:
        return ["the certificate cannot be read (%s)" % exc]
    now = int(now if now is not None else datetime.datetime.now(datetime.UTC).timestamp())
    reasons = []
    if info["key_blob"] != public_key_blob(host_key_line):
        reasons.append("the certificate does not belong to the host key")
    if info["type"] != "host":
        reasons.append("it is a %s certificate, not a host certificate" % info["type"])
    if ca_key_lines and info["ca_blob"] != public_key_blob(ca_key_lines[0]):
        reasons.append("the SSH CA changed (signed by %s)" % key_fingerprint(info["ca_blob"]))
    if sorted(set(info["principals"])) != sorted(set(principals)):
        added = sorted(set(principals) - set(info["principals"]))
        removed = sorted(set(info["principals"]) - set(principals))
        reasons.append("the principals changed (add %s; remove %s)" % (", ".join(added) or "-", ", ".join(removed) or "-"))
    left = info["valid_before"] - now
    if left <= 0:
        reasons.append("it expired on %s" % _fmt(info["valid_before"]))
    elif left < renew_before_days * 86400:
        reasons.append("it expires on %s, inside the renewal window of %s days" % (_fmt(info["valid_before"]), renew_before_days))
    return reasons


# ---------------------------------------------------------------------------------------------------
# CA side (needs cryptography >= 40)
# ---------------------------------------------------------------------------------------------------

def require_signing():
    if SSH_SIGNING_IMPORT_ERROR is not None:
        raise SshCertError("signing SSH certificates needs the Python library cryptography >= 40 on the CA host "
                           "(%s); run the SSH CA on the controller or on a host with a newer cryptography" % SSH_SIGNING_IMPORT_ERROR)


def generate_ca_key():
    require_signing()
    return ed25519.Ed25519PrivateKey.generate()


def ca_private_bytes(key, passphrase=None):
    encryption = serialization.NoEncryption()
    if passphrase:
        encryption = serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption)


def ca_public_line(key, comment):
    line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode("ascii")
    return "%s %s" % (line, comment) if comment else line


def load_ca_key(data, passphrase=None, source="SSH CA key"):
    require_signing()
    password = passphrase.encode("utf-8") if passphrase else None
    try:
        return load_ssh_private_key(data, password=password)
    except TypeError:
        if password is None:
            raise SshCertError("%s is encrypted but no passphrase was given; set the passphrase option" % source) from None
        raise SshCertError("%s is not encrypted, but a passphrase was given; remove the passphrase option" % source) from None
    except ValueError as exc:
        if password is not None:
            raise SshCertError("the passphrase does not open %s (wrong passphrase?); nothing was signed or written" % source) from exc
        raise SshCertError("%s cannot be read: %s" % (source, exc)) from exc


def sign(ca_key, public_key_line, principals, cert_type, validity_days, key_id, now=None):
    """Return an OpenSSH certificate line for ``public_key_line`` signed by ``ca_key``."""
    require_signing()
    if not principals:
        raise SshCertError("no principals for %s; a certificate valid for every name is not issued" % key_id)
    try:
        public = load_ssh_public_key(" ".join(public_key_line.split()[:2]).encode("ascii"))
    except (ValueError, TypeError) as exc:
        raise SshCertError("the public key of %s cannot be read: %s" % (key_id, exc)) from exc
    now = int(now if now is not None else datetime.datetime.now(datetime.UTC).timestamp())
    builder = (
        SSHCertificateBuilder()
        .public_key(public)
        .serial(secrets.randbits(64))
        .type(SSHCertificateType.HOST if cert_type == "host" else SSHCertificateType.USER)
        .key_id(key_id.encode("utf-8"))
        .valid_principals([p.encode("utf-8") for p in principals])
        .valid_after(now - 300)
        .valid_before(now + int(validity_days) * 86400)
    )
    if cert_type == "user":
        for name in USER_EXTENSIONS:
            builder = builder.add_extension(name.encode("ascii"), b"")
    cert = builder.sign(ca_key)
    return "%s %s" % (cert.public_bytes().decode("ascii"), key_id)
