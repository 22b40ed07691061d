# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenSSH public key lines, parsed as plain data (algorithm, type, bits, certificate or not).

Used by the sshd_config back end (host keys), the SSH evaluation of :mod:`.sshd_audit`, the lockout
guard and the hardening audit.
"""

from __future__ import annotations

import base64
import struct

__metaclass__ = type


_KEY_TYPE_NAMES = {
    "ssh-ed25519": "ed25519",
    "sk-ssh-ed25519@openssh.com": "ed25519-sk",
    "ssh-rsa": "rsa",
    "ssh-dss": "dsa",
    "ecdsa-sha2-nistp256": "ecdsa",
    "ecdsa-sha2-nistp384": "ecdsa",
    "ecdsa-sha2-nistp521": "ecdsa",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ecdsa-sk",
}


_ECDSA_BITS = {"ecdsa-sha2-nistp256": 256, "ecdsa-sha2-nistp384": 384, "ecdsa-sha2-nistp521": 521}


KEY_ALGORITHM_NAMES = frozenset(_KEY_TYPE_NAMES) | frozenset(n + "-cert-v01@openssh.com" for n in _KEY_TYPE_NAMES) | frozenset(
    ["ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com"]
)


def _read_string(blob, offset):
    if offset + 4 > len(blob):
        raise ValueError("truncated key blob")
    (length,) = struct.unpack(">I", blob[offset:offset + 4])
    start = offset + 4
    if start + length > len(blob):
        raise ValueError("truncated key blob")
    return blob[start:start + length], start + length


def parse_public_key(line):
    """Parse an OpenSSH public key line (``[options] type base64 [comment]``).

    Returns ``{"algorithm": "ssh-rsa", "type": "rsa", "bits": 3072, "certificate": False}`` or ``None``
    when the line holds no key. Options before the key (``from="..."``, ``restrict``) are skipped.
    """
    if not line:
        return None
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    tokens = _split_key_line(text)
    for index, token in enumerate(tokens[:-1]):
        if token not in KEY_ALGORITHM_NAMES:
            continue
        try:
            blob = base64.b64decode(tokens[index + 1].encode("ascii"), validate=True)
            inner, offset = _read_string(blob, 0)
        except (ValueError, UnicodeEncodeError, struct.error):
            return None
        algorithm = inner.decode("ascii", "replace")
        certificate = algorithm.endswith("-cert-v01@openssh.com")
        base = algorithm[: -len("-cert-v01@openssh.com")] if certificate else algorithm
        if certificate:
            # A certificate blob has a nonce before the public key fields.
            try:
                _nonce, offset = _read_string(blob, offset)
            except ValueError:
                return None
        bits = None
        try:
            if base == "ssh-rsa":
                _exponent, offset = _read_string(blob, offset)
                modulus, offset = _read_string(blob, offset)
                bits = int.from_bytes(modulus, "big").bit_length()
            elif base == "ssh-dss":
                prime, offset = _read_string(blob, offset)
                bits = int.from_bytes(prime, "big").bit_length()
            elif base in ("ssh-ed25519", "sk-ssh-ed25519@openssh.com"):
                bits = 256
            elif base in _ECDSA_BITS:
                bits = _ECDSA_BITS[base]
            elif base == "sk-ecdsa-sha2-nistp256@openssh.com":
                bits = 256
        except ValueError:
            return None
        return {
            "algorithm": algorithm,
            "type": _KEY_TYPE_NAMES.get(base, base),
            "bits": bits,
            "certificate": certificate,
            "options": " ".join(tokens[:index]),
        }
    return None


def _split_key_line(text):
    """Split on whitespace, keeping double-quoted option values (``command="a b"``) together."""
    tokens = []
    current = []
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens
