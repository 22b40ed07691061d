# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenSSH algorithm policy and sshd audit logic, as plain functions of data.

Used by the ``ironclad.infra.ssh_algorithms`` filter (choose algorithms for a detected OpenSSH version),
the ``ironclad.infra.sshd_config`` module (check what ``sshd -T`` reports) and the
``ironclad.infra.hardening_audit`` module (evaluate a host's sshd).

Main entry points:

- :func:`parse_openssh_version` -- ``"OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL ..."`` -> ``(9, 2)``.
- :func:`choose_algorithms` -- the sshd settings (``KexAlgorithms``, ``Ciphers``, ...) for a version.
- :func:`algorithm_problems` -- unknown / unsupported / weak names in a user-supplied list.
- :func:`parse_sshd_t` -- ``sshd -T`` output -> ``{keyword: [values]}``.
- :func:`evaluate_sshd_config` -- ``sshd -T`` dict + version -> list of findings
  ``{"id", "title", "status": "pass"|"fail"|"not_applicable", "reason"}``.
- :func:`evaluate_host_keys`, :func:`evaluate_moduli`, :func:`parse_public_key`, :func:`filter_moduli`.

The classification follows ssh-audit (https://github.com/jtesta/ssh-audit): NIST curves, SHA-1, MD5,
CBC modes, 64-bit tags and 2048-bit groups are weak; key exchanges without a post-quantum component
are "classic" (ssh-audit warns about them).
"""

from __future__ import annotations

import base64
import re
import struct

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


# --------------------------------------------------------------------------------------------------
# Keys and moduli
# --------------------------------------------------------------------------------------------------

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


def filter_moduli(text, min_bits):
    """Drop Diffie-Hellman groups smaller than ``min_bits`` from /etc/ssh/moduli text.

    The fifth field of a moduli line is the size in bits minus one (3071 for a 3072-bit group).
    Returns ``(new_text, kept, removed)``; comments and blank lines are kept.
    """
    out = []
    kept = 0
    removed = 0
    for line in text.splitlines(True):
        fields = line.split()
        if len(fields) >= 7 and not line.lstrip().startswith("#"):
            try:
                size = int(fields[4]) + 1
            except ValueError:
                out.append(line)
                continue
            if size < min_bits:
                removed += 1
                continue
            kept += 1
        out.append(line)
    return "".join(out), kept, removed


# --------------------------------------------------------------------------------------------------
# Audit of an effective configuration (sshd -T)
# --------------------------------------------------------------------------------------------------

def parse_sshd_t(text):
    """Parse ``sshd -T`` output into ``{keyword: [value, ...]}`` (keywords lower case, repeats kept)."""
    result = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        keyword, _sep, value = line.partition(" ")
        result.setdefault(keyword.lower(), []).append(value.strip())
    return result


def _values(config, keyword):
    value = config.get(keyword)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _first(config, keyword, default=None):
    values = _values(config, keyword)
    return values[0] if values else default


def _names(config, keyword):
    names = []
    for value in _values(config, keyword):
        names.extend(n for n in value.split(",") if n)
    return names


def _finding(control_id, title, status, reason):
    return {"id": control_id, "title": title, "status": status, "reason": reason}


def _flag(config, control_id, title, keyword, expected, default=None):
    value = _first(config, keyword, default)
    if value is None:
        return _finding(control_id, title, "fail", "%s is not reported by sshd -T" % keyword)
    ok = value.lower() in expected
    return _finding(
        control_id,
        title,
        "pass" if ok else "fail",
        "%s is %s" % (keyword, value) + ("" if ok else " (expected %s)" % " or ".join(expected)),
    )


def _int(config, keyword):
    try:
        return int(_first(config, keyword, "").split()[0])
    except (ValueError, IndexError):
        return None


def evaluate_sshd_config(sshd_t, openssh_version=None, policy=None):
    """Evaluate an effective sshd configuration against the collection's SSH controls.

    ``sshd_t`` is :func:`parse_sshd_t` output or the raw ``sshd -T`` text (values may be strings or
    lists). ``openssh_version`` (``"9.2"``, ``sshd -V`` output or a tuple) decides what can apply,
    e.g. post-quantum key exchange from 8.5. ``policy`` loosens single expectations:
    ``{"permit_root_login": ["no", "prohibit-password"], "max_auth_tries": 6}``.

    Returns a list of ``{"id", "title", "status", "reason"}`` with status ``pass``, ``fail`` or
    ``not_applicable``.
    """
    if isinstance(sshd_t, str):
        sshd_t = parse_sshd_t(sshd_t)
    config = {str(k).lower(): v for k, v in (sshd_t or {}).items()}
    policy = policy or {}
    version = parse_openssh_version(openssh_version) if openssh_version not in (None, "") else None
    findings = []

    kex = _names(config, "kexalgorithms")
    weak = [n for n in kex if algorithm_class("kex", n) in (WEAK, None)]
    findings.append(_finding(
        "ssh.kex.no_weak", "Key exchange has no NIST-curve, SHA-1 or small-group algorithms",
        "fail" if weak or not kex else "pass",
        ("weak or unknown: %s" % ", ".join(weak)) if weak else ("no KexAlgorithms reported" if not kex else "KexAlgorithms %s" % ",".join(kex)),
    ))
    pq_possible = version is None or version >= (8, 5)
    classic = [n for n in kex if algorithm_class("kex", n) == CLASSIC]
    if not pq_possible:
        findings.append(_finding(
            "ssh.kex.post_quantum", "Key exchange is post-quantum hybrid only", "not_applicable",
            "OpenSSH %s has no post-quantum hybrid key exchange (needs 8.5)" % format_version(version),
        ))
    else:
        pq = [n for n in kex if algorithm_class("kex", n) == PQ]
        if not pq:
            status, reason = "fail", "no post-quantum hybrid key exchange offered"
        elif classic and not policy.get("kex_classic_fallback", False):
            status, reason = "fail", "classic key exchange still offered: %s" % ", ".join(classic)
        elif algorithm_class("kex", kex[0]) != PQ:
            status, reason = "fail", "a classic key exchange (%s) is preferred over the hybrids" % kex[0]
        else:
            status, reason = "pass", "hybrid first: %s" % kex[0]
        findings.append(_finding("ssh.kex.post_quantum", "Key exchange is post-quantum hybrid only", status, reason))

    for control_id, title, kind, keyword in (
        ("ssh.ciphers.strong", "Ciphers are AEAD or CTR only", "ciphers", "ciphers"),
        ("ssh.macs.etm", "MACs are SHA-2/UMAC-128 encrypt-then-MAC only", "macs", "macs"),
        ("ssh.host_key_algorithms.strong", "Host key algorithms are Ed25519 / RSA-SHA2 only", "host_key_algorithms", "hostkeyalgorithms"),
        ("ssh.pubkey_algorithms.strong", "User key algorithms are Ed25519 / RSA-SHA2 only", "pubkey_accepted_algorithms", "pubkeyacceptedalgorithms"),
    ):
        names = _names(config, keyword)
        if not names and keyword == "pubkeyacceptedalgorithms":
            names = _names(config, "pubkeyacceptedkeytypes")
        bad = [n for n in names if algorithm_class(kind, n) in (WEAK, None)]
        if not names:
            status, reason = "fail", "%s is not reported by sshd -T" % keyword
        elif bad:
            status, reason = "fail", "weak or unknown: %s" % ", ".join(bad)
        else:
            status, reason = "pass", "%s %s" % (keyword, ",".join(names))
        findings.append(_finding(control_id, title, status, reason))

    root_expected = [v.lower() for v in policy.get("permit_root_login", ["no"])]
    findings.append(_flag(config, "ssh.permit_root_login", "Root cannot log in", "permitrootlogin", root_expected))
    findings.append(_flag(config, "ssh.password_authentication", "Password authentication is off", "passwordauthentication",
                          [v.lower() for v in policy.get("password_authentication", ["no"])]))
    findings.append(_flag(config, "ssh.kbd_interactive_authentication", "Keyboard-interactive authentication is off",
                          "kbdinteractiveauthentication", [v.lower() for v in policy.get("kbd_interactive_authentication", ["no"])]))
    findings.append(_flag(config, "ssh.permit_empty_passwords", "Empty passwords are refused", "permitemptypasswords", ["no"]))
    findings.append(_flag(config, "ssh.hostbased_authentication", "Host-based authentication is off", "hostbasedauthentication", ["no"]))
    findings.append(_flag(config, "ssh.ignore_rhosts", "rhosts files are ignored", "ignorerhosts", ["yes"]))
    findings.append(_flag(config, "ssh.permit_user_environment", "Users cannot set the sshd environment", "permituserenvironment", ["no"]))
    findings.append(_flag(config, "ssh.strict_modes", "StrictModes checks key file permissions", "strictmodes", ["yes"]))
    findings.append(_flag(config, "ssh.log_level", "sshd logs at VERBOSE (key fingerprints)", "loglevel",
                          [v.lower() for v in policy.get("log_level", ["verbose"])]))

    forwarding_off = (_first(config, "disableforwarding", "no") or "no").lower() == "yes"
    for control_id, title, keyword, expected in (
        ("ssh.x11_forwarding", "X11 forwarding is off", "x11forwarding", ["no"]),
        ("ssh.tcp_forwarding", "TCP forwarding is off", "allowtcpforwarding", ["no"]),
        ("ssh.agent_forwarding", "Agent forwarding is off", "allowagentforwarding", ["no"]),
        ("ssh.stream_local_forwarding", "Unix socket forwarding is off", "allowstreamlocalforwarding", ["no"]),
        ("ssh.permit_tunnel", "Tunnel devices are off", "permittunnel", ["no"]),
        ("ssh.gateway_ports", "Forwarded ports do not bind to public addresses", "gatewayports", ["no"]),
    ):
        allowed = [v.lower() for v in policy.get(control_id.split(".", 1)[1], expected)]
        if forwarding_off and keyword != "gatewayports":
            findings.append(_finding(control_id, title, "pass", "DisableForwarding yes"))
        else:
            findings.append(_flag(config, control_id, title, keyword, allowed))

    max_tries = int(policy.get("max_auth_tries", 4))
    tries = _int(config, "maxauthtries")
    findings.append(_finding(
        "ssh.max_auth_tries", "At most %d authentication attempts per connection" % max_tries,
        "pass" if tries is not None and 0 < tries <= max_tries else "fail", "MaxAuthTries %s" % tries,
    ))
    max_grace = int(policy.get("login_grace_time", 60))
    grace = _int(config, "logingracetime")
    findings.append(_finding(
        "ssh.login_grace_time", "Unauthenticated connections are dropped within %d s" % max_grace,
        "pass" if grace is not None and 0 < grace <= max_grace else "fail", "LoginGraceTime %s" % grace,
    ))
    interval = _int(config, "clientaliveinterval")
    count = _int(config, "clientalivecountmax")
    ok = interval is not None and 0 < interval <= int(policy.get("client_alive_interval", 900)) and count is not None and 0 < count <= 3
    findings.append(_finding(
        "ssh.client_alive", "Dead sessions are closed (ClientAliveInterval/CountMax)",
        "pass" if ok else "fail", "ClientAliveInterval %s, ClientAliveCountMax %s" % (interval, count),
    ))
    banner = _first(config, "banner", "none")
    findings.append(_finding(
        "ssh.banner", "A login banner is shown", "fail" if banner in (None, "none") else "pass", "Banner %s" % banner,
    ))
    compression = (_first(config, "compression", "yes") or "yes").lower()
    findings.append(_finding(
        "ssh.compression", "Compression is off before authentication",
        "pass" if compression in ("no", "delayed") else "fail", "Compression %s" % compression,
    ))
    lists = {k: _values(config, k) for k in ("allowusers", "allowgroups", "denyusers", "denygroups")}
    if lists["allowusers"] or lists["allowgroups"]:
        findings.append(_finding(
            "ssh.access_lists", "Logins are limited by AllowUsers/AllowGroups", "pass",
            "; ".join("%s %s" % (k, " ".join(v)) for k, v in lists.items() if v),
        ))
    else:
        findings.append(_finding(
            "ssh.access_lists", "Logins are limited by AllowUsers/AllowGroups", "not_applicable",
            "no allow-list configured: every account with a usable key may log in",
        ))
    return findings


def evaluate_host_keys(keys, min_rsa_bits=3072):
    """Evaluate host keys: ``keys`` is a list of ``{"path", "type", "bits"}`` (see :func:`parse_public_key`).

    Passes when every key is Ed25519 or RSA of at least ``min_rsa_bits``, and at least one key exists.
    """
    bad = []
    for key in keys or []:
        key_type = key.get("type")
        bits = key.get("bits") or 0
        if key_type == "ed25519":
            continue
        if key_type == "rsa" and bits >= min_rsa_bits:
            continue
        bad.append("%s (%s %s)" % (key.get("path", "?"), key_type, bits))
    if not keys:
        status, reason = "fail", "no host keys found"
    elif bad:
        status, reason = "fail", "weak or unwanted host keys: %s" % ", ".join(bad)
    else:
        status, reason = "pass", ", ".join("%s %s" % (k.get("type"), k.get("bits")) for k in keys)
    return _finding("ssh.host_keys", "Host keys are Ed25519 or RSA >= %d bits" % min_rsa_bits, status, reason)


def evaluate_moduli(text, min_bits=3072):
    """Evaluate /etc/ssh/moduli text: passes when no group is smaller than ``min_bits``."""
    if text is None:
        return _finding("ssh.moduli", "DH group-exchange moduli are >= %d bits" % min_bits, "not_applicable",
                        "no moduli file: sshd uses its built-in groups")
    _new, kept, removed = filter_moduli(text, min_bits)
    if removed:
        status, reason = "fail", "%d of %d groups are smaller than %d bits" % (removed, kept + removed, min_bits)
    elif not kept:
        status, reason = "fail", "the moduli file holds no groups"
    else:
        status, reason = "pass", "%d groups, all >= %d bits" % (kept, min_bits)
    return _finding("ssh.moduli", "DH group-exchange moduli are >= %d bits" % min_bits, status, reason)
