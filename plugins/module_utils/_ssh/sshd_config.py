# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sshd's configuration as data, for ``ironclad.infra.sshd_config``: render, parse, compare (pure).

Rendering the wanted settings into a whole ``sshd_config`` (sections in a fixed order, Match blocks
last), parsing a file, the differences between two texts, and the comparison of sshd's effective
values (``sshd -T``) with the wanted ones. :mod:`.sshd_config_backend` does the work on the host.
"""

from __future__ import annotations

import re

__metaclass__ = type

# Sections of the rendered file, in order; keywords not listed go to "Other settings".
SECTIONS = [
    ("Network", ["Port", "AddressFamily", "ListenAddress"]),
    ("Host keys and cryptography", [
        "HostKey", "HostCertificate", "HostKeyAlgorithms", "KexAlgorithms", "Ciphers", "MACs",
        "CASignatureAlgorithms", "PubkeyAcceptedAlgorithms", "PubkeyAcceptedKeyTypes", "RequiredRSASize",
        "RekeyLimit", "ModuliFile",
    ]),
    ("Logging", ["SyslogFacility", "LogLevel"]),
    ("Authentication", [
        "LoginGraceTime", "PermitRootLogin", "StrictModes", "MaxAuthTries", "MaxSessions", "MaxStartups",
        "PerSourceMaxStartups", "PerSourceNetBlockSize", "PerSourcePenalties", "PubkeyAuthentication",
        "AuthorizedKeysFile", "AuthorizedKeysCommand", "AuthorizedKeysCommandUser", "AuthorizedPrincipalsFile",
        "TrustedUserCAKeys", "RevokedKeys", "HostbasedAuthentication", "IgnoreUserKnownHosts", "IgnoreRhosts",
        "PasswordAuthentication", "PermitEmptyPasswords", "KbdInteractiveAuthentication",
        "ChallengeResponseAuthentication", "KerberosAuthentication", "GSSAPIAuthentication", "UsePAM",
        "AuthenticationMethods",
    ]),
    ("Who may log in (checked in this order)", ["DenyUsers", "AllowUsers", "DenyGroups", "AllowGroups"]),
    ("Forwarding", [
        "DisableForwarding", "AllowAgentForwarding", "AllowTcpForwarding", "AllowStreamLocalForwarding",
        "GatewayPorts", "PermitTunnel", "X11Forwarding", "PermitOpen", "PermitListen",
    ]),
    ("Session", [
        "PermitTTY", "PermitUserEnvironment", "PermitUserRC", "PrintMotd", "PrintLastLog", "TCPKeepAlive",
        "ClientAliveInterval", "ClientAliveCountMax", "Compression", "UseDNS", "DebianBanner",
        "VersionAddendum", "Banner", "AcceptEnv", "Subsystem",
    ]),
]
_CANONICAL = {kw.lower(): kw for _title, kws in SECTIONS for kw in kws}
_CANONICAL.update({"hostbasedacceptedalgorithms": "HostbasedAcceptedAlgorithms", "gssapikexalgorithms": "GSSAPIKexAlgorithms"})

# Keywords whose list value is comma-joined; keywords repeated once per list item.
COMMA_KEYWORDS = frozenset([
    "kexalgorithms", "ciphers", "macs", "hostkeyalgorithms", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes",
    "casignaturealgorithms", "hostbasedacceptedalgorithms", "gssapikexalgorithms",
])
REPEAT_KEYWORDS = frozenset(["port", "listenaddress", "hostkey", "hostcertificate", "subsystem", "include"])

# Keywords whose effective value (sshd -T) is compared with the wanted one.
VERIFY_KEYWORDS = frozenset(COMMA_KEYWORDS | {
    "permitrootlogin", "passwordauthentication", "kbdinteractiveauthentication", "pubkeyauthentication",
    "permitemptypasswords", "hostbasedauthentication", "ignorerhosts", "x11forwarding", "allowtcpforwarding",
    "allowagentforwarding", "allowstreamlocalforwarding", "permittunnel", "gatewayports", "permituserenvironment",
    "disableforwarding", "loglevel", "maxauthtries", "logingracetime", "allowusers", "allowgroups", "denyusers",
    "denygroups", "authenticationmethods", "banner", "requiredrsasize", "usepam", "strictmodes", "compression",
    "clientaliveinterval", "clientalivecountmax", "maxsessions", "hostkey", "port",
})
_SET_KEYWORDS = frozenset(["allowusers", "allowgroups", "denyusers", "denygroups", "hostkey", "port"])
_TIME_KEYWORDS = frozenset(["logingracetime", "clientaliveinterval"])
_TIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

HEADER = "# Managed by Ansible (ironclad.infra.sshd_config). Local changes are overwritten."


class SshdConfigError(ValueError):
    """Input that cannot be rendered; the message names the setting."""


def canonical_keyword(keyword):
    return _CANONICAL.get(str(keyword).lower(), str(keyword))


def _scalar(keyword, value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if "\n" in text or "\r" in text:
        raise SshdConfigError("the value of %s contains a line break; give one line (or a list)" % keyword)
    if text == "":
        raise SshdConfigError("the value of %s is empty; remove the setting (null) instead" % keyword)
    return text


def render_lines(keyword, value, indent=""):
    """Render one setting into config lines; ``None`` and empty lists render nothing."""
    keyword = canonical_keyword(keyword)
    if not re.match(r"^[A-Za-z][A-Za-z0-9]*$", keyword):
        raise SshdConfigError("'%s' is not an sshd keyword" % keyword)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [_scalar(keyword, v) for v in value]
        if not items:
            return []
        lower = keyword.lower()
        if lower in COMMA_KEYWORDS:
            return ["%s%s %s" % (indent, keyword, ",".join(items))]
        if lower in REPEAT_KEYWORDS:
            return ["%s%s %s" % (indent, keyword, item) for item in items]
        return ["%s%s %s" % (indent, keyword, " ".join(items))]
    return ["%s%s %s" % (indent, keyword, _scalar(keyword, value))]


def render_config(settings, match_blocks=None, includes=None, header_lines=None):
    """Render a complete sshd_config text from ``settings`` (keyword -> value).

    Keywords are placed in fixed sections, so the same settings always give the same text. Includes
    come after the global settings (the first value sshd reads wins, so the managed settings take
    precedence over included files) and Match blocks come last.
    """
    by_lower = {}
    for keyword, value in (settings or {}).items():
        lower = str(keyword).lower()
        if lower in ("match", "include"):
            raise SshdConfigError("put %s in its own option (match_blocks / include), not in settings" % keyword)
        if lower in by_lower:
            raise SshdConfigError("%s is given twice (keywords are case-insensitive)" % keyword)
        by_lower[lower] = (keyword, value)
    lines = [HEADER]
    for line in header_lines or []:
        lines.append("# " + str(line) if line else "#")
    placed = set()
    for title, keywords in SECTIONS:
        section = []
        for keyword in keywords:
            if keyword.lower() in by_lower:
                placed.add(keyword.lower())
                section.extend(render_lines(*by_lower[keyword.lower()]))
        if section:
            lines.extend(["", "# " + title])
            lines.extend(section)
    rest = sorted(k for k in by_lower if k not in placed)
    section = []
    for lower in rest:
        section.extend(render_lines(*by_lower[lower]))
    if section:
        lines.extend(["", "# Other settings"])
        lines.extend(section)
    if includes:
        lines.extend(["", "# Included files cannot override the settings above (sshd keeps the first value)"])
        lines.extend(render_lines("Include", list(includes)))
    for block in match_blocks or []:
        criteria = _scalar("Match", block.get("criteria"))
        lines.extend(["", "Match %s" % criteria])
        block_settings = block.get("settings") or {}
        if not block_settings:
            raise SshdConfigError("Match %s has no settings" % criteria)
        for keyword, value in block_settings.items():
            lines.extend(render_lines(keyword, value, indent="    "))
    return "\n".join(lines) + "\n"


def parse_config(text):
    """Parse sshd_config text into ``{Keyword: value}`` for diffs; Match blocks become ``"Match <c>"``.

    Values of repeated keywords become lists; single values stay strings.
    """
    result = {}
    current = result
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        keyword = canonical_keyword(parts[0].rstrip("="))
        value = parts[1].strip() if len(parts) > 1 else ""
        if keyword.lower() == "match":
            current = {}
            result["Match %s" % value] = current
            continue
        if keyword in current:
            existing = current[keyword]
            current[keyword] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            current[keyword] = value
    return result


def config_differences(before_text, after_text):
    """``[(key, before, after)]`` between two config texts, keyword by keyword."""
    before = parse_config(before_text)
    after = parse_config(after_text)
    out = []
    for key in list(before) + [k for k in after if k not in before]:
        if isinstance(before.get(key), dict) or isinstance(after.get(key), dict):
            inner_before = before.get(key) or {}
            inner_after = after.get(key) or {}
            for inner in list(inner_before) + [k for k in inner_after if k not in inner_before]:
                if inner_before.get(inner) != inner_after.get(inner):
                    out.append(("%s.%s" % (key, inner), inner_before.get(inner), inner_after.get(inner)))
            if key not in before or key not in after:
                out.append((key, None if key not in before else "present", None if key not in after else "present"))
            continue
        if before.get(key) != after.get(key):
            out.append((key, before.get(key), after.get(key)))
    return out


def _seconds(text):
    total = 0
    for number, unit in re.findall(r"(\d+)([smhdwSMHDW]?)", str(text)):
        total += int(number) * _TIME_UNITS[unit.lower()]
    return total


def _normalise(lower, values):
    """Normalise a wanted or effective value for comparison; ``values`` is a list of strings."""
    if lower in COMMA_KEYWORDS:
        names = []
        for value in values:
            names.extend(n for n in value.split(",") if n)
        return names
    if lower in _SET_KEYWORDS:
        tokens = []
        for value in values:
            tokens.extend(value.split())
        return sorted(set(tokens))
    text = " ".join(values).strip()
    if lower in _TIME_KEYWORDS:
        return _seconds(text)
    if lower == "permitrootlogin" and text.lower() == "without-password":
        return "prohibit-password"
    if lower == "authorizedkeysfile":
        return text.split()
    return text.lower() if lower not in ("banner",) else text


def _wanted_values(value):
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def effective_mismatches(settings, effective, host_key_map=None):
    """Compare wanted ``settings`` with the ``sshd -T`` dict; return ``[(keyword, wanted, effective)]``."""
    out = []
    for keyword, value in (settings or {}).items():
        lower = str(keyword).lower()
        if value is None or lower not in VERIFY_KEYWORDS:
            continue
        if isinstance(value, (list, tuple)) and not value:
            continue
        if lower == "pubkeyacceptedkeytypes":
            lookup = "pubkeyacceptedalgorithms" if "pubkeyacceptedalgorithms" in effective else lower
        else:
            lookup = lower
        wanted_values = _wanted_values(value)
        if lower == "hostkey" and host_key_map:
            wanted_values = [host_key_map.get(v, v) for v in wanted_values]
        if lower == "authenticationmethods":
            wanted_values = [" ".join(wanted_values)]
        wanted = _normalise(lower, wanted_values)
        got = _normalise(lower, effective.get(lookup, []))
        if wanted != got:
            out.append((canonical_keyword(keyword), wanted, got))
    return out
