# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenSSH algorithm policy: the catalogue of algorithms and the choice for a version, as plain functions of data.

Used by the ``ironclad.infra.ssh_algorithms`` filter (choose algorithms for a detected OpenSSH version),
the ``ironclad.infra.sshd_config`` module (check what ``sshd -T`` reports) and the
``ironclad.infra.hardening_audit`` module (evaluate a host's sshd).

Main entry points:

- :func:`parse_openssh_version` -- ``"OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL ..."`` -> ``(9, 2)``.
- :func:`choose_algorithms` -- the sshd settings (``KexAlgorithms``, ``Ciphers``, ...) for a version.
- :func:`algorithm_problems` -- unknown / unsupported / weak names in a user-supplied list.

The other subjects of the domain: :mod:`.keys` (``parse_public_key``), :mod:`.moduli`
(``filter_moduli``) and :mod:`.sshd_audit` (``parse_sshd_t``, ``evaluate_sshd_config``: ``sshd -T``
output + version -> findings, also ``evaluate_host_keys`` and ``evaluate_moduli``).

The classification follows ssh-audit (https://github.com/jtesta/ssh-audit): NIST curves, SHA-1, MD5,
CBC modes, 64-bit tags and 2048-bit groups are weak; key exchanges without a post-quantum component
are "classic" (ssh-audit warns about them).
"""

from __future__ import annotations

import re

__metaclass__ = type

# Algorithm kinds, as used by the filter and the module: the kind name and the sshd keyword.
KINDS = {
    "kex": "KexAlgorithms",
    "ciphers": "Ciphers",
    "macs": "MACs",
    "host_key_algorithms": "HostKeyAlgorithms",
    "pubkey_accepted_algorithms": "PubkeyAcceptedAlgorithms",
    "ca_signature_algorithms": "CASignatureAlgorithms",
}

# Classes of algorithms.
PQ = "post-quantum hybrid"
CLASSIC = "classic (no post-quantum protection)"
STRONG = "strong"
WEAK = "weak"

# name -> (first OpenSSH version, class, reason); optional 4th item: OpenSSH version that removed it.
_KEX = {
    "mlkem768x25519-sha256": ((9, 9), PQ, "ML-KEM-768 + X25519 hybrid"),
    "sntrup761x25519-sha512": ((9, 9), PQ, "Streamlined NTRU Prime + X25519 hybrid"),
    "sntrup761x25519-sha512@openssh.com": ((8, 5), PQ, "Streamlined NTRU Prime + X25519 hybrid"),
    "curve25519-sha256": ((7, 4), CLASSIC, "X25519 without post-quantum protection"),
    "curve25519-sha256@libssh.org": ((6, 5), CLASSIC, "X25519 without post-quantum protection"),
    "diffie-hellman-group16-sha512": ((7, 3), CLASSIC, "4096-bit DH without post-quantum protection"),
    "diffie-hellman-group18-sha512": ((7, 3), CLASSIC, "8192-bit DH without post-quantum protection"),
    "diffie-hellman-group-exchange-sha256": ((4, 4), CLASSIC, "DH group exchange without post-quantum protection"),
    "diffie-hellman-group14-sha256": ((7, 3), WEAK, "2048-bit modulus"),
    "diffie-hellman-group14-sha1": ((3, 9), WEAK, "SHA-1"),
    "diffie-hellman-group1-sha1": ((2, 0), WEAK, "SHA-1 and a 1024-bit modulus"),
    "diffie-hellman-group-exchange-sha1": ((2, 9), WEAK, "SHA-1"),
    "ecdh-sha2-nistp256": ((5, 7), WEAK, "NIST curve"),
    "ecdh-sha2-nistp384": ((5, 7), WEAK, "NIST curve"),
    "ecdh-sha2-nistp521": ((5, 7), WEAK, "NIST curve"),
}

_CIPHERS = {
    "chacha20-poly1305@openssh.com": ((6, 5), STRONG, "AEAD"),
    "aes256-gcm@openssh.com": ((6, 2), STRONG, "AEAD"),
    "aes128-gcm@openssh.com": ((6, 2), STRONG, "AEAD"),
    "aes256-ctr": ((3, 7), STRONG, "counter mode"),
    "aes192-ctr": ((3, 7), STRONG, "counter mode"),
    "aes128-ctr": ((3, 7), STRONG, "counter mode"),
    "aes256-cbc": ((2, 0), WEAK, "CBC mode"),
    "aes192-cbc": ((2, 0), WEAK, "CBC mode"),
    "aes128-cbc": ((2, 0), WEAK, "CBC mode"),
    "3des-cbc": ((2, 0), WEAK, "3DES with a 64-bit block size"),
    "rijndael-cbc@lysator.liu.se": ((2, 0), WEAK, "CBC mode, non-standard name", (7, 6)),
    "blowfish-cbc": ((2, 0), WEAK, "64-bit block size", (7, 6)),
    "cast128-cbc": ((2, 0), WEAK, "64-bit block size", (7, 6)),
    "arcfour": ((2, 0), WEAK, "RC4", (7, 6)),
    "arcfour128": ((4, 2), WEAK, "RC4", (7, 6)),
    "arcfour256": ((4, 2), WEAK, "RC4", (7, 6)),
}

_MACS = {
    "hmac-sha2-512-etm@openssh.com": ((6, 2), STRONG, "encrypt-then-MAC"),
    "hmac-sha2-256-etm@openssh.com": ((6, 2), STRONG, "encrypt-then-MAC"),
    "umac-128-etm@openssh.com": ((6, 2), STRONG, "encrypt-then-MAC"),
    "umac-64-etm@openssh.com": ((6, 2), WEAK, "64-bit tag"),
    "hmac-sha1-etm@openssh.com": ((6, 2), WEAK, "SHA-1"),
    "hmac-sha1-96-etm@openssh.com": ((6, 2), WEAK, "SHA-1, 96-bit tag"),
    "hmac-md5-etm@openssh.com": ((6, 2), WEAK, "MD5"),
    "hmac-md5-96-etm@openssh.com": ((6, 2), WEAK, "MD5, 96-bit tag"),
    "hmac-sha2-512": ((5, 9), WEAK, "encrypt-and-MAC"),
    "hmac-sha2-256": ((5, 9), WEAK, "encrypt-and-MAC"),
    "umac-128@openssh.com": ((6, 2), WEAK, "encrypt-and-MAC"),
    "umac-64@openssh.com": ((4, 7), WEAK, "encrypt-and-MAC, 64-bit tag"),
    "hmac-sha1": ((2, 0), WEAK, "SHA-1, encrypt-and-MAC"),
    "hmac-sha1-96": ((2, 0), WEAK, "SHA-1, encrypt-and-MAC"),
    "hmac-md5": ((2, 0), WEAK, "MD5, encrypt-and-MAC"),
    "hmac-md5-96": ((2, 0), WEAK, "MD5, encrypt-and-MAC"),
}

_KEYS = {
    "ssh-ed25519": ((6, 5), STRONG, "Ed25519"),
    "ssh-ed25519-cert-v01@openssh.com": ((6, 5), STRONG, "Ed25519 certificate"),
    "sk-ssh-ed25519@openssh.com": ((8, 2), STRONG, "Ed25519 security key"),
    "sk-ssh-ed25519-cert-v01@openssh.com": ((8, 2), STRONG, "Ed25519 security key certificate"),
    "rsa-sha2-512": ((7, 2), STRONG, "RSA with SHA-512"),
    "rsa-sha2-256": ((7, 2), STRONG, "RSA with SHA-256"),
    "rsa-sha2-512-cert-v01@openssh.com": ((7, 8), STRONG, "RSA certificate with SHA-512"),
    "rsa-sha2-256-cert-v01@openssh.com": ((7, 8), STRONG, "RSA certificate with SHA-256"),
    "ssh-rsa": ((2, 0), WEAK, "RSA with SHA-1 signatures"),
    "ssh-rsa-cert-v01@openssh.com": ((5, 6), WEAK, "RSA certificate with SHA-1 signatures"),
    "ssh-dss": ((2, 0), WEAK, "DSA (1024-bit, SHA-1)", (10, 0)),
    "ssh-dss-cert-v01@openssh.com": ((5, 6), WEAK, "DSA certificate", (10, 0)),
    "ecdsa-sha2-nistp256": ((5, 7), WEAK, "NIST curve"),
    "ecdsa-sha2-nistp384": ((5, 7), WEAK, "NIST curve"),
    "ecdsa-sha2-nistp521": ((5, 7), WEAK, "NIST curve"),
    "ecdsa-sha2-nistp256-cert-v01@openssh.com": ((5, 7), WEAK, "NIST curve certificate"),
    "ecdsa-sha2-nistp384-cert-v01@openssh.com": ((5, 7), WEAK, "NIST curve certificate"),
    "ecdsa-sha2-nistp521-cert-v01@openssh.com": ((5, 7), WEAK, "NIST curve certificate"),
    "sk-ecdsa-sha2-nistp256@openssh.com": ((8, 2), WEAK, "NIST curve security key"),
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": ((8, 2), WEAK, "NIST curve security key certificate"),
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com": ((8, 2), WEAK, "NIST curve security key"),
}

CATALOG = {
    "kex": _KEX,
    "ciphers": _CIPHERS,
    "macs": _MACS,
    "host_key_algorithms": _KEYS,
    "pubkey_accepted_algorithms": _KEYS,
    "ca_signature_algorithms": _KEYS,
}

# Preference order of the defaults. Names missing from a version are skipped.
_DEFAULT_KEX_PQ = ["mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com"]
_DEFAULT_KEX_CLASSIC = ["curve25519-sha256", "curve25519-sha256@libssh.org"]
_DEFAULTS = {
    "ciphers": [
        "chacha20-poly1305@openssh.com",
        "aes256-gcm@openssh.com",
        "aes128-gcm@openssh.com",
        "aes256-ctr",
        "aes192-ctr",
        "aes128-ctr",
    ],
    "macs": ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com"],
    "host_key_algorithms": [
        "ssh-ed25519-cert-v01@openssh.com",
        "ssh-ed25519",
        "rsa-sha2-512-cert-v01@openssh.com",
        "rsa-sha2-512",
        "rsa-sha2-256-cert-v01@openssh.com",
        "rsa-sha2-256",
    ],
    "pubkey_accepted_algorithms": [
        "ssh-ed25519-cert-v01@openssh.com",
        "ssh-ed25519",
        "sk-ssh-ed25519-cert-v01@openssh.com",
        "sk-ssh-ed25519@openssh.com",
        "rsa-sha2-512-cert-v01@openssh.com",
        "rsa-sha2-512",
        "rsa-sha2-256-cert-v01@openssh.com",
        "rsa-sha2-256",
    ],
    "ca_signature_algorithms": ["ssh-ed25519", "sk-ssh-ed25519@openssh.com", "rsa-sha2-512", "rsa-sha2-256"],
}

_VERSION_RE = re.compile(r"OpenSSH_(\d+)\.(\d+)")
_PLAIN_VERSION_RE = re.compile(r"^\s*(\d+)\.(\d+)(?:p\d+)?\b")


class SshAlgorithmError(ValueError):
    """A version string or an algorithm list that cannot be used; the message says how to fix it."""


def parse_openssh_version(value):
    """Return ``(major, minor)`` from ``sshd -V`` / ``ssh -V`` output, ``"9.2"``, ``"9.2p1"`` or a tuple."""
    if isinstance(value, (tuple, list)) and len(value) >= 2:
        return int(value[0]), int(value[1])
    if isinstance(value, float):
        raise SshAlgorithmError(
            "OpenSSH version %r is a number, which loses digits (9.10 becomes 9.1); quote it as a string "
            "such as '9.2'" % (value,)
        )
    text = "" if value is None else str(value)
    match = _VERSION_RE.search(text) or _PLAIN_VERSION_RE.match(text)
    if not match:
        raise SshAlgorithmError(
            "cannot find an OpenSSH version in %r; pass the output of 'sshd -V' (OpenSSH_9.2p1 ...) or "
            "a version such as '9.2'" % (text[:200],)
        )
    return int(match.group(1)), int(match.group(2))


def format_version(version):
    return "%d.%d" % tuple(version)


def _entry(kind, name):
    item = CATALOG[kind].get(name)
    if item is None:
        return None
    since, cls, reason = item[0], item[1], item[2]
    removed = item[3] if len(item) > 3 else None
    return since, cls, reason, removed


def supported(kind, name, version):
    """True when OpenSSH ``version`` (tuple) knows algorithm ``name`` of ``kind``."""
    entry = _entry(kind, name)
    if entry is None:
        return False
    since, _cls, _reason, removed = entry
    return tuple(version) >= since and (removed is None or tuple(version) < removed)


def algorithm_class(kind, name):
    """Return PQ / CLASSIC / STRONG / WEAK for a known algorithm, ``None`` for an unknown one."""
    entry = _entry(kind, name)
    return entry[1] if entry else None


def algorithm_problems(names, kind, version=None, allow_weak=False):
    """Check a user-supplied algorithm list; return a list of problem sentences (empty when fine).

    ``kind`` is one of :data:`KINDS`. With ``version`` (any form :func:`parse_openssh_version` takes),
    names that this OpenSSH does not know are reported too. Weak names are reported unless
    ``allow_weak``.
    """
    if kind not in KINDS:
        raise SshAlgorithmError("unknown algorithm kind %r; use one of %s" % (kind, ", ".join(sorted(KINDS))))
    if isinstance(names, str):
        names = [n for n in names.split(",") if n]
    parsed = parse_openssh_version(version) if version not in (None, "") else None
    problems = []
    seen = set()
    for name in names or []:
        if not isinstance(name, str) or not name:
            problems.append("%r is not an algorithm name" % (name,))
            continue
        if name in seen:
            problems.append("'%s' is listed twice" % name)
            continue
        seen.add(name)
        entry = _entry(kind, name)
        if entry is None:
            problems.append(
                "'%s' is not a known %s algorithm (known: %s)" % (name, KINDS[kind], ", ".join(sorted(CATALOG[kind])))
            )
            continue
        since, cls, reason, removed = entry
        if parsed is not None and parsed < since:
            problems.append(
                "'%s' needs OpenSSH %s or later; this host runs %s" % (name, format_version(since), format_version(parsed))
            )
        elif parsed is not None and removed is not None and parsed >= removed:
            problems.append(
                "'%s' was removed in OpenSSH %s; this host runs %s" % (name, format_version(removed), format_version(parsed))
            )
        elif cls == WEAK and not allow_weak:
            problems.append("'%s' is weak (%s)" % (name, reason))
    return problems


def pubkey_keyword(version):
    """The sshd keyword for accepted user key algorithms: renamed in OpenSSH 8.5."""
    return "PubkeyAcceptedAlgorithms" if tuple(version) >= (8, 5) else "PubkeyAcceptedKeyTypes"


def choose_algorithms(version, classic_fallback=False, overrides=None, allow_weak=False):
    """Return sshd settings with the algorithms for OpenSSH ``version``.

    The result maps sshd keywords to lists: ``KexAlgorithms``, ``Ciphers``, ``MACs``,
    ``HostKeyAlgorithms``, ``PubkeyAcceptedAlgorithms`` (``PubkeyAcceptedKeyTypes`` before 8.5) and
    ``CASignatureAlgorithms`` (from 7.9).

    Key exchange: post-quantum hybrids only, when the version has one (8.5+); classic X25519 is added
    after them when ``classic_fallback`` is true or when no hybrid exists. ``overrides`` maps a kind
    (``kex``, ``ciphers``, ...) to an explicit list, checked with :func:`algorithm_problems`; an empty
    list or ``None`` means "choose for me". Raises :class:`SshAlgorithmError` naming every problem.
    """
    parsed = parse_openssh_version(version)
    overrides = overrides or {}
    unknown_kinds = sorted(set(overrides) - set(KINDS))
    if unknown_kinds:
        raise SshAlgorithmError(
            "unknown algorithm kind(s) %s; use %s" % (", ".join(unknown_kinds), ", ".join(sorted(KINDS)))
        )
    chosen = {}
    errors = []
    for kind in KINDS:
        explicit = overrides.get(kind)
        if isinstance(explicit, str):
            explicit = [n for n in explicit.split(",") if n]
        if explicit:
            problems = algorithm_problems(explicit, kind, parsed, allow_weak=allow_weak)
            if problems:
                errors.append("%s: %s" % (kind, "; ".join(problems)))
            chosen[kind] = list(explicit)
            continue
        if kind == "kex":
            names = [n for n in _DEFAULT_KEX_PQ if supported(kind, n, parsed)]
            if classic_fallback or not names:
                names += [n for n in _DEFAULT_KEX_CLASSIC if supported(kind, n, parsed)]
        else:
            names = [n for n in _DEFAULTS[kind] if supported(kind, n, parsed)]
        chosen[kind] = names
    if errors:
        raise SshAlgorithmError(
            "algorithm lists for OpenSSH %s are not usable: %s" % (format_version(parsed), " | ".join(errors))
        )
    settings = {
        "KexAlgorithms": chosen["kex"],
        "Ciphers": chosen["ciphers"],
        "MACs": chosen["macs"],
        "HostKeyAlgorithms": chosen["host_key_algorithms"],
        pubkey_keyword(parsed): chosen["pubkey_accepted_algorithms"],
    }
    if parsed >= (7, 9):
        settings["CASignatureAlgorithms"] = chosen["ca_signature_algorithms"]
    return settings
