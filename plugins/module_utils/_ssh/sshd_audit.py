# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evaluation of an effective sshd configuration (``sshd -T``) against the ssh_hardening controls (pure).

- :func:`parse_sshd_t` -- ``sshd -T`` output -> ``{keyword: [values]}``.
- :func:`evaluate_sshd_config` -- ``sshd -T`` dict + version -> list of findings
  ``{"id", "title", "status": "pass"|"fail"|"not_applicable", "reason"}``.
- :func:`evaluate_host_keys`, :func:`evaluate_moduli`.

Used by the ``ironclad.infra.hardening_audit`` module, the ssh filters and the Molecule verifier.
"""

from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._ssh.algorithms import CLASSIC, PQ, WEAK, algorithm_class, format_version, parse_openssh_version
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.moduli import filter_moduli

__metaclass__ = type


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
