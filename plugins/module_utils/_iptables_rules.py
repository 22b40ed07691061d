# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One iptables rule: tokenise, quote and normalise it the way ``iptables-save`` prints it.

A rule the user writes (``-p tcp --dport ssh -s 10.0.0.1 -j ACCEPT``) and the rule the kernel
prints back (``-s 10.0.0.1/32 -p tcp -m tcp --dport 22 -j ACCEPT``) must compare equal, or every
run would report a change. :func:`normalize_rule` turns both into the same canonical token tuple:

* header options in iptables' print order (``-s -d -i -o -p -f``), long aliases shortened,
  addresses as networks with a prefix (``/32``, ``/128``, host bits cleared), ``0.0.0.0/0`` and
  ``-p all`` dropped, comma lists expanded into one rule per source/destination pair;
* the implicit protocol match made explicit (``-p tcp --dport 22`` -> ``-p tcp -m tcp --dport 22``)
  at the place where iptables loads it;
* options of the common matches and targets (tcp, udp, multiport, conntrack, state, comment, limit,
  recent, icmp, icmp6, mark, connlimit, hashlimit, LOG, REJECT, MARK) in their print order, with
  names turned into numbers (services, ICMP types, log levels), defaults added or removed the way
  iptables does it;
* matches and targets this module does not know are kept as written.

Everything here is plain Python without Ansible, so it is unit-tested against real ``iptables-save``
output (``tests/unit/plugins/module_utils/fixtures/``).
"""

from __future__ import annotations

__metaclass__ = type

import ipaddress
import re
import shlex
import socket

IPV4 = "ipv4"
IPV6 = "ipv6"
FAMILIES = (IPV4, IPV6)


class RuleError(ValueError):
    """A rule that cannot be understood; the message says what is wrong and how to fix it."""


# --------------------------------------------------------------------------------------------
# Tokens and quoting
# --------------------------------------------------------------------------------------------

def split_restore_line(line):
    """Split one line of ``iptables-save`` output like ``iptables-restore`` does.

    Outside double quotes a backslash is an ordinary character; inside, it escapes the next one.
    ``""`` is an empty argument.
    """
    params = []
    buf = []
    in_quote = False
    escaped = False
    have_param = False
    for char in line:
        if in_quote:
            if escaped:
                buf.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quote = False
                params.append("".join(buf))
                buf = []
                have_param = False
            else:
                buf.append(char)
            continue
        if char == '"':
            in_quote = True
            have_param = True
            continue
        if char in " \t\n\r":
            if have_param:
                params.append("".join(buf))
                buf = []
                have_param = False
            continue
        buf.append(char)
        have_param = True
    if in_quote:
        raise RuleError("unterminated double quote in %r" % line)
    if have_param:
        params.append("".join(buf))
    return params


_SAVE_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
_PLAIN_SAFE = re.compile(r"^[^\s\"'\\]+$")
# Options whose value iptables prints with xtables_save_string() (quoted unless purely [A-Za-z0-9_-]).
_STRING_OPTIONS = frozenset(["--comment", "--log-prefix", "--nflog-prefix"])


def quote_token(token, save_style=False):
    """Quote one token for an ``iptables-restore`` line.

    ``save_style`` mimics iptables-save's quoting of free-text values (comments, log prefixes):
    anything but letters, digits, ``_`` and ``-`` is put in double quotes. Other tokens are quoted
    only when they must be (empty, whitespace, quotes, backslashes).
    """
    if save_style:
        needs = not _SAVE_SAFE.match(token)
    else:
        needs = not _PLAIN_SAFE.match(token)
    if not needs:
        return token
    escaped = []
    for char in token:
        if char in "\"\\'":
            escaped.append("\\")
        escaped.append(char)
    return '"%s"' % "".join(escaped)


def join_tokens(tokens):
    """Render canonical tokens as one line, quoted the way iptables-save prints them."""
    out = []
    prev = None
    for token in tokens:
        out.append(quote_token(token, save_style=prev in _STRING_OPTIONS))
        prev = token
    return " ".join(out)


def split_user_rule(rule):
    """Split a rule as a user writes it (shell-like quoting, single or double quotes)."""
    if not any(char in rule for char in "\"'\\#\n\r"):
        return rule.split()
    try:
        tokens = shlex.split(rule, comments=False, posix=True)
    except ValueError as exc:
        raise RuleError("cannot split %r into words: %s; check the quotes" % (rule, exc)) from exc
    for token in tokens:
        if "\n" in token or "\r" in token:
            raise RuleError("a rule cannot contain a line break: %r" % rule)
    return tokens


# --------------------------------------------------------------------------------------------
# Addresses, protocols, ports
# --------------------------------------------------------------------------------------------

def _format_ipv6(address):
    # inet_ntop gives the exact text iptables prints (e.g. ::ffff:10.0.0.1), Python's
    # ipaddress would print ::ffff:a00:1.
    return socket.inet_ntop(socket.AF_INET6, address.packed)


def address_family(text):
    """Return ``ipv4``/``ipv6`` for an address or network written as text, else None."""
    base = text.split("/", 1)[0]
    try:
        ip = ipaddress.ip_address(base)
    except ValueError:
        return None
    return IPV4 if ip.version == 4 else IPV6


def normalize_address(text, family=None):
    """``10.1.2.3/24`` -> ``10.1.2.0/24``; ``fd00::1`` -> ``fd00::1/128``; ``0.0.0.0/0`` -> None.

    Raises :class:`RuleError` for a host name or a malformed address.
    """
    text = text.strip()
    base, sep, mask = text.partition("/")
    if base == "0":
        base = "0.0.0.0"
    fam = address_family(base)
    if fam is None:
        raise RuleError(
            "%r is not an IP address or network; iptables would resolve a host name once, when the "
            "rule is loaded. Write addresses, e.g. with the ironclad.infra.group_addresses filter" % text
        )
    if family is not None and fam != family:
        raise RuleError("%r is an %s address in an %s rule" % (text, fam, family))
    if sep and "." in mask and fam == IPV4:
        try:
            prefix = ipaddress.IPv4Network("0.0.0.0/%s" % mask).prefixlen
        except ValueError as exc:
            raise RuleError("%r has a netmask that is not contiguous" % text) from exc
        mask = str(prefix)
    if sep and not mask.isdigit():
        raise RuleError("%r has an invalid prefix length" % text)
    try:
        net = ipaddress.ip_network("%s/%s" % (base, mask) if sep else base, strict=False)
    except ValueError as exc:
        raise RuleError("%r is not a valid network: %s" % (text, exc)) from exc
    if net.prefixlen == 0:
        return None
    if net.version == 4:
        return "%s/%d" % (net.network_address, net.prefixlen)
    return "%s/%d" % (_format_ipv6(net.network_address), net.prefixlen)


# Protocol names iptables knows without /etc/protocols (xtables_chain_protos) are printed as names;
# iptables 1.8.11 prints every other protocol as a number, 1.8.9 as the /etc/protocols name. The
# canonical form here is therefore: builtin name, else number.
_BUILTIN_PROTOCOLS = {
    "tcp": 6, "sctp": 132, "udp": 17, "udplite": 136, "icmp": 1, "ipv6-icmp": 58,
    "esp": 50, "ah": 51, "mh": 135,
}
_PROTOCOL_ALIASES = {
    "icmpv6": 58, "ipv6-mh": 135, "igmp": 2, "ggp": 3, "ipencap": 4, "st": 5, "egp": 8, "igp": 9,
    "pup": 12, "hmp": 20, "xns-idp": 22, "rdp": 27, "iso-tp4": 29, "dccp": 33, "xtp": 36,
    "ddp": 37, "idpr-cmtp": 38, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44, "idrp": 45,
    "rsvp": 46, "gre": 47, "skip": 57, "ipv6-nonxt": 59, "ipv6-opts": 60, "rspf": 73, "vmtp": 81,
    "eigrp": 88, "ospf": 89, "ax.25": 93, "ipip": 94, "etherip": 97, "encap": 98, "pim": 103,
    "ipcomp": 108, "vrrp": 112, "l2tp": 115, "isis": 124, "fc": 133, "manet": 138, "hip": 139,
    "shim6": 140, "wesp": 141, "rohc": 142, "ethernet": 143,
}
_PROTOCOL_NUMBERS = dict((num, name) for name, num in _BUILTIN_PROTOCOLS.items())


def normalize_protocol(text):
    """Return the canonical protocol token, or None for "all"."""
    value = text.strip().lower()
    if value in ("all", "0"):
        return None
    if value.isdigit():
        num = int(value)
        if num > 255:
            raise RuleError("protocol number %s is out of range (0-255)" % text)
    elif value in _BUILTIN_PROTOCOLS:
        num = _BUILTIN_PROTOCOLS[value]
    elif value in _PROTOCOL_ALIASES:
        num = _PROTOCOL_ALIASES[value]
    else:
        raise RuleError("unknown protocol %r; use a name from /etc/protocols or a number" % text)
    return _PROTOCOL_NUMBERS.get(num, str(num))


def _port_number(text, proto):
    text = text.strip()
    if text.isdigit():
        num = int(text)
    else:
        try:
            num = socket.getservbyname(text, proto if proto in ("tcp", "udp") else "tcp")
        except OSError as exc:
            raise RuleError("unknown port or service %r" % text) from exc
    if num > 65535:
        raise RuleError("port %s is out of range (0-65535)" % text)
    return num


def normalize_port_range(text, proto="tcp"):
    """``22`` -> ``22``; ``22:22`` -> ``22``; ``1000:`` -> ``1000:65535``; ``ssh`` -> ``22``."""
    if ":" in text:
        low, high = text.split(":", 1)
        low = _port_number(low, proto) if low else 0
        high = _port_number(high, proto) if high else 65535
        if low > high:
            raise RuleError("port range %r starts above its end" % text)
        return str(low) if low == high else "%d:%d" % (low, high)
    return str(_port_number(text, proto))


def normalize_port_list(text, proto="tcp"):
    parts = text.split(",")
    if not parts or any(not p for p in parts):
        raise RuleError("empty entry in port list %r" % text)
    if len(parts) > 15:
        raise RuleError("multiport takes at most 15 ports, %r has %d" % (text, len(parts)))
    return ",".join(normalize_port_range(p, proto) for p in parts)


# --------------------------------------------------------------------------------------------
# Value normalisers for matches and targets
# --------------------------------------------------------------------------------------------

_TCP_FLAGS = ("FIN", "SYN", "RST", "PSH", "ACK", "URG")


def _tcp_flags(text):
    value = 0
    for part in text.upper().split(","):
        if part == "ALL":
            value |= 0x3F
        elif part == "NONE":
            continue
        elif part in _TCP_FLAGS:
            value |= 1 << _TCP_FLAGS.index(part)
        else:
            raise RuleError("unknown TCP flag %r (use FIN, SYN, RST, PSH, ACK, URG, ALL, NONE)" % part)
    if not value:
        return "NONE"
    return ",".join(name for bit, name in enumerate(_TCP_FLAGS) if value & (1 << bit))


_CT_STATES = ("INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT")


def _ct_states(text):
    wanted = set()
    for part in text.upper().split(","):
        if part not in _CT_STATES:
            raise RuleError("unknown connection state %r (use %s)" % (part, ", ".join(_CT_STATES)))
        wanted.add(part)
    return ",".join(s for s in _CT_STATES if s in wanted)


_LIMIT_SCALE = 10000
_RATE_UNITS = (("day", 24 * 60 * 60), ("hour", 60 * 60), ("min", 60), ("sec", 1))
_RATE_PARSE = (("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400))


def _rate(text, scale=_LIMIT_SCALE):
    """Parse ``5/minute`` like libxt_limit and print it back (``5/min``; ``120/min`` -> ``2/sec``)."""
    num, sep, unit = text.partition("/")
    try:
        count = int(num)
    except ValueError as exc:
        raise RuleError("rate %r must look like 5/minute" % text) from exc
    mult = 1
    if sep:
        unit = unit.lower()
        for name, seconds in _RATE_PARSE:
            if unit and name.startswith(unit):
                mult = seconds
                break
        else:
            raise RuleError("rate %r has an unknown unit (use second, minute, hour, day)" % text)
    if count <= 0:
        raise RuleError("rate %r must be above zero" % text)
    period = scale * mult // count
    if period == 0:
        raise RuleError("rate %r is too fast" % text)
    units = [(name, scale * seconds) for name, seconds in _RATE_UNITS]
    chosen = units[0]
    for index in range(1, len(units)):
        unit_mult = units[index][1]
        if period > unit_mult or unit_mult // period < unit_mult % period:
            break
        chosen = units[index]
    return "%d/%s" % (chosen[1] // period, chosen[0])


_LOG_LEVELS = {
    "emerg": 0, "panic": 0, "alert": 1, "crit": 2, "err": 3, "error": 3, "warning": 4, "warn": 4,
    "notice": 5, "info": 6, "debug": 7,
}


def _log_level(text):
    value = text.lower()
    if value.isdigit() and int(value) <= 7:
        return value
    if value in _LOG_LEVELS:
        return str(_LOG_LEVELS[value])
    raise RuleError("unknown log level %r (use 0-7 or emerg..debug)" % text)


_REJECT_V4 = {
    "icmp-net-unreachable": "net-unreach", "icmp-host-unreachable": "host-unreach",
    "icmp-proto-unreachable": "proto-unreach", "icmp-port-unreachable": "port-unreach",
    "icmp-net-prohibited": "net-prohib", "icmp-host-prohibited": "host-prohib",
    "tcp-reset": "tcp-rst", "icmp-admin-prohibited": "admin-prohib",
}
_REJECT_V6 = {
    "icmp6-no-route": "no-route", "icmp6-adm-prohibited": "adm-prohibited",
    "icmp6-addr-unreachable": "addr-unreach", "icmp6-port-unreachable": "port-unreach",
    "tcp-reset": "tcp-rst", "icmp6-policy-fail": "policy-fail", "icmp6-reject-route": "reject-route",
}


def _reject_with(text, family):
    value = text.lower()
    tables = [(IPV4, _REJECT_V4), (IPV6, _REJECT_V6)]
    if family == IPV6:
        tables.reverse()
    for fam, table in tables:
        for name, alias in table.items():
            if value in (name, alias):
                if family is not None and fam != family and name != "tcp-reset":
                    raise RuleError("--reject-with %s is for %s, not %s" % (text, fam, family))
                return name
    raise RuleError("unknown --reject-with type %r" % text)


_ICMP_TYPES = {
    "any": (255, 0, 255), "echo-reply": (0, 0, 255), "pong": (0, 0, 255),
    "destination-unreachable": (3, 0, 255), "network-unreachable": (3, 0, 0),
    "host-unreachable": (3, 1, 1), "protocol-unreachable": (3, 2, 2), "port-unreachable": (3, 3, 3),
    "fragmentation-needed": (3, 4, 4), "source-route-failed": (3, 5, 5),
    "network-unknown": (3, 6, 6), "host-unknown": (3, 7, 7), "network-prohibited": (3, 9, 9),
    "host-prohibited": (3, 10, 10), "tos-network-unreachable": (3, 11, 11),
    "tos-host-unreachable": (3, 12, 12), "communication-prohibited": (3, 13, 13),
    "host-precedence-violation": (3, 14, 14), "precedence-cutoff": (3, 15, 15),
    "source-quench": (4, 0, 255), "redirect": (5, 0, 255), "network-redirect": (5, 0, 0),
    "host-redirect": (5, 1, 1), "tos-network-redirect": (5, 2, 2), "tos-host-redirect": (5, 3, 3),
    "echo-request": (8, 0, 255), "ping": (8, 0, 255), "router-advertisement": (9, 0, 255),
    "router-solicitation": (10, 0, 255), "time-exceeded": (11, 0, 255),
    "ttl-exceeded": (11, 0, 255), "ttl-zero-during-transit": (11, 0, 0),
    "ttl-zero-during-reassembly": (11, 1, 1), "parameter-problem": (12, 0, 255),
    "ip-header-bad": (12, 0, 0), "required-option-missing": (12, 1, 1),
    "timestamp-request": (13, 0, 255), "timestamp-reply": (14, 0, 255),
    "address-mask-request": (17, 0, 255), "address-mask-reply": (18, 0, 255),
}
_ICMP6_TYPES = {
    "destination-unreachable": (1, 0, 255), "no-route": (1, 0, 0),
    "communication-prohibited": (1, 1, 1), "beyond-scope": (1, 2, 2),
    "address-unreachable": (1, 3, 3), "port-unreachable": (1, 4, 4), "failed-policy": (1, 5, 5),
    "reject-route": (1, 6, 6), "packet-too-big": (2, 0, 255), "time-exceeded": (3, 0, 255),
    "ttl-exceeded": (3, 0, 255), "ttl-zero-during-transit": (3, 0, 0),
    "ttl-zero-during-reassembly": (3, 1, 1), "parameter-problem": (4, 0, 255),
    "bad-header": (4, 0, 0), "unknown-header-type": (4, 1, 1), "unknown-option": (4, 2, 2),
    "echo-request": (128, 0, 255), "ping": (128, 0, 255), "echo-reply": (129, 0, 255),
    "pong": (129, 0, 255), "mld-listener-query": (130, 0, 255),
    "mld-listener-report": (131, 0, 255), "mld-listener-done": (132, 0, 255),
    "mld-listener-reduction": (132, 0, 255), "router-solicitation": (133, 0, 255),
    "router-advertisement": (134, 0, 255), "neighbour-solicitation": (135, 0, 255),
    "neighbor-solicitation": (135, 0, 255), "neighbour-advertisement": (136, 0, 255),
    "neighbor-advertisement": (136, 0, 255), "redirect": (137, 0, 255),
}


def _icmp_type(text, table, allow_any):
    value = text.lower()
    if value in table:
        icmp_type, low, high = table[value]
    else:
        icmp_type, sep, code = value.partition("/")
        if not icmp_type.isdigit() or (sep and not code.isdigit()):
            raise RuleError("unknown ICMP type %r (use a name like echo-request or TYPE[/CODE])" % text)
        icmp_type = int(icmp_type)
        low, high = (int(code), int(code)) if sep else (0, 255)
        if icmp_type > 255 or low > 255:
            raise RuleError("ICMP type %r is out of range" % text)
    if icmp_type == 255 and allow_any:
        return "any"
    if (low, high) == (0, 255):
        return str(icmp_type)
    return "%d/%d" % (icmp_type, low)


def _mark(text):
    value, sep, mask = text.partition("/")
    try:
        value = int(value, 0)
        mask = int(mask, 0) if sep else 0xFFFFFFFF
    except ValueError as exc:
        raise RuleError("mark %r must be a number, optionally /mask" % text) from exc
    return value, mask


def _mark_match(text):
    value, mask = _mark(text)
    if mask == 0xFFFFFFFF:
        return "0x%x" % value
    return "0x%x/0x%x" % (value, mask)


def _set_xmark(text):
    value, mask = _mark(text)
    return "0x%x/0x%x" % (value, mask)


def _ipv4_mask(text):
    try:
        return str(ipaddress.IPv4Network("0.0.0.0/%s" % text).netmask)
    except ValueError as exc:
        raise RuleError("%r is not an IPv4 netmask" % text) from exc


def _ipv6_mask(text):
    try:
        return _format_ipv6(ipaddress.IPv6Address(text))
    except ValueError as exc:
        raise RuleError("%r is not an IPv6 mask" % text) from exc


# --------------------------------------------------------------------------------------------
# Known matches and targets: option aliases, arity, print order, value normalisers
# --------------------------------------------------------------------------------------------

class _Opt:
    """One option of a match or target."""

    def __init__(self, name, arity=1, aliases=(), value=None, group=None):
        self.name = name
        self.arity = arity
        self.aliases = aliases
        self.value = value  # callable(values, ctx) -> list of values
        self.group = group if group is not None else name  # print-order slot


class _Module:
    """A match or target extension that this normaliser understands."""

    def __init__(self, name, options, finish=None):
        self.name = name
        self.options = options
        self.finish = finish  # callable(opts, ctx) -> opts, adds/removes defaults
        self.lookup = {}
        self.order = {}
        for index, opt in enumerate(options):
            self.order.setdefault(opt.group, index)
            for alias in (opt.name, *opt.aliases):
                self.lookup[alias] = opt

    def option(self, token):
        return self.lookup.get(token)


def _v(func):
    return lambda values, ctx: [func(values[0])]


def _ports(values, ctx):
    return [normalize_port_range(values[0], ctx.get("proto") or "tcp")]


def _portlist(values, ctx):
    return [normalize_port_list(values[0], ctx.get("proto") or "tcp")]


def _tcp_finish(opts, ctx):
    result = []
    for neg, name, values in opts:
        if name == "--syn":
            result.append((neg, "--tcp-flags", ["FIN,SYN,RST,ACK", "SYN"]))
        elif name in ("--sport", "--dport") and values == ["0:65535"] and not neg:
            continue
        else:
            result.append((neg, name, values))
    return result


def _limit_finish(opts, ctx):
    names = [opt[1] for opt in opts]
    result = [o for o in opts if not (o[1] == "--limit-burst" and o[2] == ["5"])]
    if "--limit" not in names:
        result.insert(0, (False, "--limit", ["3/hour"]))
    return result


def _recent_finish(opts, ctx):
    names = [opt[1] for opt in opts]
    result = list(opts)
    if "--name" not in names:
        result.append((False, "--name", ["DEFAULT"]))
    if "--mask" not in names:
        mask = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" if ctx.get("family") == IPV6 else "255.255.255.255"
        result.append((False, "--mask", [mask]))
    if "--rsource" not in names and "--rdest" not in names:
        result.append((False, "--rsource", []))
    return result


def _recent_mask(values, ctx):
    text = values[0]
    if ":" in text or ctx.get("family") == IPV6:
        return [_ipv6_mask(text)]
    return [_ipv4_mask(text)]


def _connlimit_finish(opts, ctx):
    names = [opt[1] for opt in opts]
    result = list(opts)
    if "--connlimit-mask" not in names:
        result.append((False, "--connlimit-mask", ["128" if ctx.get("family") == IPV6 else "32"]))
    if "--connlimit-saddr" not in names and "--connlimit-daddr" not in names:
        result.append((False, "--connlimit-saddr", []))
    return result


def _hashlimit_finish(opts, ctx):
    names = [opt[1] for opt in opts]
    result = list(opts)
    if "--hashlimit-burst" not in names:
        result.append((False, "--hashlimit-burst", ["5"]))
    return result


def _log_finish(opts, ctx):
    return [o for o in opts if not (o[1] == "--log-level" and o[2] == ["4"])
            and not (o[1] == "--log-prefix" and o[2] == [""])]


def _reject_finish(opts, ctx):
    if not any(opt[1] == "--reject-with" for opt in opts):
        default = "icmp6-port-unreachable" if ctx.get("family") == IPV6 else "icmp-port-unreachable"
        return [(False, "--reject-with", [default])]
    return opts


def _mark_target_finish(opts, ctx):
    result = []
    for neg, name, values in opts:
        if name == "--set-mark":
            result.append((neg, "--set-xmark", values))
        else:
            result.append((neg, name, values))
    return result


def _ctproto(values, ctx):
    proto = normalize_protocol(values[0])
    if proto is None:
        return ["0"]
    number = _BUILTIN_PROTOCOLS.get(proto, None)
    return [str(number) if number is not None else proto]


def _addr_option(values, ctx):
    return [normalize_address(values[0], ctx.get("family")) or "0.0.0.0/0"]


def _lower(values, ctx):
    return [values[0].lower()]


def _reject_value(values, ctx):
    return [_reject_with(values[0], ctx.get("family"))]


MATCHES = {
    "tcp": _Module("tcp", [
        _Opt("--sport", aliases=("--source-port",), value=_ports),
        _Opt("--dport", aliases=("--destination-port",), value=_ports),
        _Opt("--tcp-option", value=_v(lambda x: str(int(x)))),
        _Opt("--tcp-flags", arity=2,
             value=lambda values, ctx: [_tcp_flags(values[0]), _tcp_flags(values[1])]),
        _Opt("--syn", arity=0, group="--tcp-flags"),
    ], finish=_tcp_finish),
    "udp": _Module("udp", [
        _Opt("--sport", aliases=("--source-port",), value=_ports),
        _Opt("--dport", aliases=("--destination-port",), value=_ports),
    ], finish=_tcp_finish),
    "multiport": _Module("multiport", [
        _Opt("--sports", aliases=("--source-ports",), value=_portlist),
        _Opt("--dports", aliases=("--destination-ports",), value=_portlist),
        _Opt("--ports", value=_portlist),
    ]),
    "conntrack": _Module("conntrack", [
        _Opt("--ctstate", value=_v(_ct_states)),
        _Opt("--ctproto", value=_ctproto),
        _Opt("--ctorigsrc", value=_addr_option),
        _Opt("--ctorigdst", value=_addr_option),
        _Opt("--ctreplsrc", value=_addr_option),
        _Opt("--ctrepldst", value=_addr_option),
        _Opt("--ctorigsrcport", value=_ports),
        _Opt("--ctorigdstport", value=_ports),
        _Opt("--ctreplsrcport", value=_ports),
        _Opt("--ctrepldstport", value=_ports),
        _Opt("--ctstatus", value=_v(lambda x: x.upper())),
        _Opt("--ctexpire"),
        _Opt("--ctdir", value=_v(lambda x: x.upper())),
    ]),
    "state": _Module("state", [_Opt("--state", value=_v(_ct_states))]),
    "comment": _Module("comment", [_Opt("--comment")]),
    "limit": _Module("limit", [
        _Opt("--limit", value=_v(_rate)),
        _Opt("--limit-burst", value=_v(lambda x: str(int(x)))),
    ], finish=_limit_finish),
    "recent": _Module("recent", [
        _Opt("--set", arity=0, group="mode"),
        _Opt("--rcheck", arity=0, group="mode"),
        _Opt("--update", arity=0, group="mode"),
        _Opt("--remove", arity=0, group="mode"),
        _Opt("--seconds", value=_v(lambda x: str(int(x)))),
        _Opt("--reap", arity=0),
        _Opt("--hitcount", value=_v(lambda x: str(int(x)))),
        _Opt("--rttl", arity=0),
        _Opt("--name"),
        _Opt("--mask", value=_recent_mask),
        _Opt("--rsource", arity=0, group="side"),
        _Opt("--rdest", arity=0, group="side"),
    ], finish=_recent_finish),
    "icmp": _Module("icmp", [
        _Opt("--icmp-type", value=_v(lambda x: _icmp_type(x, _ICMP_TYPES, True))),
    ]),
    "icmp6": _Module("icmp6", [
        _Opt("--icmpv6-type", value=_v(lambda x: _icmp_type(x, _ICMP6_TYPES, False))),
    ]),
    "mark": _Module("mark", [_Opt("--mark", value=_v(_mark_match))]),
    "mac": _Module("mac", [_Opt("--mac-source", value=_lower)]),
    "connlimit": _Module("connlimit", [
        _Opt("--connlimit-upto", value=_v(lambda x: str(int(x))), group="limit"),
        _Opt("--connlimit-above", value=_v(lambda x: str(int(x))), group="limit"),
        _Opt("--connlimit-mask", value=_v(lambda x: str(int(x)))),
        _Opt("--connlimit-saddr", arity=0, group="side"),
        _Opt("--connlimit-daddr", arity=0, group="side"),
    ], finish=_connlimit_finish),
    "hashlimit": _Module("hashlimit", [
        _Opt("--hashlimit-upto", value=_v(_rate), group="rate"),
        _Opt("--hashlimit-above", value=_v(_rate), group="rate"),
        _Opt("--hashlimit-burst", value=_v(lambda x: str(int(x)))),
        _Opt("--hashlimit-mode"),
        _Opt("--hashlimit-name"),
        _Opt("--hashlimit-htable-size"),
        _Opt("--hashlimit-htable-max"),
        _Opt("--hashlimit-htable-gcinterval"),
        _Opt("--hashlimit-htable-expire"),
        _Opt("--hashlimit-srcmask"),
        _Opt("--hashlimit-dstmask"),
    ], finish=_hashlimit_finish),
}

TARGETS = {
    "LOG": _Module("LOG", [
        _Opt("--log-prefix"),
        _Opt("--log-level", value=_v(_log_level)),
        _Opt("--log-tcp-sequence", arity=0),
        _Opt("--log-tcp-options", arity=0),
        _Opt("--log-ip-options", arity=0),
        _Opt("--log-uid", arity=0),
        _Opt("--log-macdecode", arity=0),
    ], finish=_log_finish),
    "REJECT": _Module("REJECT", [_Opt("--reject-with", value=_reject_value)], finish=_reject_finish),
    "NFLOG": _Module("NFLOG", [
        _Opt("--nflog-prefix"),
        _Opt("--nflog-group", value=_v(lambda x: str(int(x)))),
        _Opt("--nflog-size", aliases=("--nflog-range",), value=_v(lambda x: str(int(x)))),
        _Opt("--nflog-threshold", value=_v(lambda x: str(int(x)))),
    ], finish=lambda opts, ctx: [o for o in opts if not (o[1] == "--nflog-threshold" and o[2] == ["1"])
                                 and not (o[1] == "--nflog-group" and o[2] == ["0"])]),
    "MARK": _Module("MARK", [
        _Opt("--set-xmark", value=_v(_set_xmark)),
        _Opt("--set-mark", value=_v(_set_xmark), group="--set-xmark"),
    ], finish=_mark_target_finish),
}

# Which match iptables loads implicitly for an option after "-p <proto>".
_IMPLICIT = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "ipv6-icmp": "icmp6"}

_HEADER = {
    "-s": "-s", "--source": "-s", "--src": "-s",
    "-d": "-d", "--destination": "-d", "--dst": "-d",
    "-i": "-i", "--in-interface": "-i",
    "-o": "-o", "--out-interface": "-o",
    "-p": "-p", "--protocol": "-p",
    "-f": "-f", "--fragment": "-f",
}
_HEADER_ORDER = ("-s", "-d", "-i", "-o", "-p", "-f")
_FORBIDDEN = {
    "-A": "give the rule without -A CHAIN; the chain is the one the rule is listed under",
    "--append": "give the rule without --append CHAIN",
    "-I": "rules are applied in the order listed; drop -I",
    "--insert": "rules are applied in the order listed; drop --insert",
    "-D": "remove the rule from the list instead of using -D",
    "-t": "give the table in the chain's 'table' option instead of -t",
    "--table": "give the table in the chain's 'table' option instead of --table",
}
STANDARD_TARGETS = frozenset(["ACCEPT", "DROP", "RETURN", "QUEUE"])


class _Block:
    def __init__(self, name, implicit=False):
        self.name = name
        self.implicit = implicit
        self.module = MATCHES.get(name)
        self.opts = []  # (negated, option, [values])

    def knows(self, option):
        return self.module is not None and self.module.option(option) is not None


class ParsedRule:
    """A rule split into header, match blocks and target (before address expansion)."""

    def __init__(self):
        self.header = {}  # "-s" -> (negated, [values]) ; "-f" -> (negated, [])
        self.blocks = []
        self.jump = None  # ("-j"|"-g", name)
        self.target_opts = []

    @property
    def protocol(self):
        entry = self.header.get("-p")
        if entry is None or entry[0]:
            return None
        return entry[1][0]


def _take_values(tokens, index, arity, option):
    if arity is None:
        values = []
        while index < len(tokens) and not tokens[index].startswith("-") and tokens[index] != "!":
            values.append(tokens[index])
            index += 1
        return values, index
    values = tokens[index:index + arity]
    if len(values) < arity:
        raise RuleError("option %s needs %d value(s)" % (option, arity))
    return values, index + arity


def parse_tokens(tokens, family=None):
    """Split rule tokens into a :class:`ParsedRule`, keeping iptables' match order."""
    rule = ParsedRule()
    index = 0
    negate = False
    current = None  # the last _Block, or "target"
    while index < len(tokens):
        token = tokens[index]
        if token == "!":
            if negate:
                raise RuleError("two '!' in a row")
            negate = True
            index += 1
            continue
        if token in _FORBIDDEN:
            raise RuleError("%s is not allowed in a rule: %s" % (token, _FORBIDDEN[token]))
        if token in _HEADER:
            key = _HEADER[token]
            if key in rule.header:
                raise RuleError("%s is given twice; iptables accepts it once per rule" % token)
            if key == "-f":
                rule.header[key] = (negate, [])
                index += 1
            else:
                if index + 1 >= len(tokens):
                    raise RuleError("option %s needs a value" % token)
                rule.header[key] = (negate, [tokens[index + 1]])
                index += 2
            negate = False
            continue
        if token in ("-m", "--match"):
            if negate:
                raise RuleError("'!' cannot stand before -m; put it before the match option")
            if index + 1 >= len(tokens):
                raise RuleError("-m needs a match name")
            current = _Block(tokens[index + 1])
            rule.blocks.append(current)
            index += 2
            continue
        if token in ("-j", "--jump", "-g", "--goto"):
            if negate:
                raise RuleError("'!' cannot stand before %s" % token)
            if rule.jump is not None:
                raise RuleError("a rule has one target; %s is given twice" % token)
            if index + 1 >= len(tokens):
                raise RuleError("%s needs a target or chain name" % token)
            rule.jump = ("-g" if token in ("-g", "--goto") else "-j", tokens[index + 1])
            current = "target"
            index += 2
            continue
        if token.startswith("-") and len(token) > 1:
            target_module = TARGETS.get(rule.jump[1]) if current == "target" and rule.jump[0] == "-j" else None
            if target_module is not None and target_module.option(token):
                opt = target_module.option(token)
                values, index = _take_values(tokens, index + 1, opt.arity, token)
                rule.target_opts.append((negate, token, values))
                negate = False
                continue
            owner = None
            for block in reversed(rule.blocks):
                if block.knows(token):
                    owner = block
                    break
            if owner is None:
                implicit = _IMPLICIT.get(normalize_protocol(rule.protocol) if rule.protocol else "")
                if implicit and MATCHES[implicit].option(token):
                    owner = _Block(implicit, implicit=True)
                    rule.blocks.append(owner)
            if owner is None and current == "target":
                values, index = _take_values(tokens, index + 1, None, token)
                rule.target_opts.append((negate, token, values))
                negate = False
                continue
            if owner is None and isinstance(current, _Block) and current.module is None:
                owner = current
            if owner is None:
                raise RuleError(
                    "option %s belongs to no match in this rule; load its match with -m NAME "
                    "(or give -p tcp/udp for --dport/--sport)" % token
                )
            opt = owner.module.option(token) if owner.module else None
            values, index = _take_values(tokens, index + 1, opt.arity if opt else None, token)
            owner.opts.append((negate, token, values))
            negate = False
            continue
        raise RuleError("unexpected word %r; options start with '-'" % token)
    if negate:
        raise RuleError("'!' at the end of the rule negates nothing")
    return rule


def _normalize_module(module, opts, ctx):
    normalized = []
    for neg, name, values in opts:
        opt = module.option(name)
        if opt is None:
            raise RuleError("%s does not take option %s" % (module.name, name))
        if opt.value is not None and values:
            try:
                values = opt.value(values, ctx)
            except RuleError:
                raise
            except (ValueError, TypeError) as exc:
                raise RuleError("bad value %r for %s: %s" % (" ".join(values), name, exc)) from exc
        normalized.append((neg, opt.name, list(values)))
    if module.finish:
        normalized = module.finish(normalized, ctx)
    normalized.sort(key=lambda o: module.order.get(module.option(o[1]).group, 99))
    return normalized


def _emit(opts):
    out = []
    for neg, name, values in opts:
        if neg:
            out.append("!")
        out.append(name)
        out.extend(values)
    return out


def detect_family(rule):
    """Guess the family of a parsed rule from its addresses and ICMP flavour; None = both."""
    found = set()
    for key in ("-s", "-d"):
        entry = rule.header.get(key)
        if entry:
            for part in entry[1][0].split(","):
                fam = address_family(part)
                if fam:
                    found.add(fam)
    proto = rule.header.get("-p")
    if proto:
        try:
            name = normalize_protocol(proto[1][0])
        except RuleError:
            name = None
        if name == "icmp":
            found.add(IPV4)
        elif name == "ipv6-icmp":
            found.add(IPV6)
    if "-f" in rule.header:
        found.add(IPV4)
    for block in rule.blocks:
        if block.name == "icmp":
            found.add(IPV4)
        elif block.name == "icmp6":
            found.add(IPV6)
    if rule.jump and rule.jump[1] == "REJECT":
        for _negated, name, values in rule.target_opts:
            if name == "--reject-with" and values:
                value = values[0].lower()
                if value in _REJECT_V6 or value in _REJECT_V6.values():
                    if value not in ("tcp-reset", "tcp-rst", "port-unreach"):
                        found.add(IPV6)
                if value in _REJECT_V4 or value in _REJECT_V4.values():
                    if value not in ("tcp-reset", "tcp-rst", "port-unreach"):
                        found.add(IPV4)
    if len(found) > 1:
        raise RuleError("the rule mixes IPv4 and IPv6 (addresses or ICMP); split it into one rule per family")
    return found.pop() if found else None


def normalize_rule(rule, family, comment=None):
    """Return the canonical token tuples of ``rule`` for ``family`` (``ipv4``/``ipv6``).

    ``rule`` is a string (user syntax or a line of iptables-save without ``-A CHAIN``) or a list of
    tokens. A comma list in ``-s``/``-d`` gives one tuple per source/destination pair, in the order
    iptables would add them. ``comment`` adds ``-m comment --comment`` after the other matches.
    """
    tokens = split_user_rule(rule) if isinstance(rule, str) else list(rule)
    parsed = parse_tokens(tokens, family)
    if comment is not None:
        add_comment(parsed, comment)
    return normalize_parsed(parsed, family)


def add_comment(parsed, comment):
    """Append a comment match to a parsed rule (iptables keeps at most 256 bytes)."""
    comment = str(comment)
    if "\n" in comment or "\r" in comment:
        raise RuleError("a comment cannot contain a line break")
    if len(comment.encode("utf-8")) > 255:
        raise RuleError("a comment is at most 255 bytes long")
    block = _Block("comment")
    block.opts.append((False, "--comment", [comment]))
    parsed.blocks.append(block)


def normalize_parsed(parsed, family):
    proto = None
    header = {}
    for key in _HEADER_ORDER:
        if key not in parsed.header:
            continue
        neg, values = parsed.header[key]
        if key == "-p":
            proto = normalize_protocol(values[0])
            if proto is None and not neg:
                continue
            header[key] = (neg, [proto or "all"])
        elif key in ("-s", "-d"):
            addresses = []
            for part in values[0].split(","):
                addresses.append(normalize_address(part, family))
            header[key] = (neg, addresses)
        else:
            header[key] = (neg, values)
    if "-f" in header and family == IPV6:
        raise RuleError("-f (fragment) exists only for IPv4")
    ctx = {"family": family, "proto": proto if proto in ("tcp", "udp") else None}

    body = []
    for block in parsed.blocks:
        if block.name in ("tcp", "udp", "icmp", "icmp6") and proto is not None:
            expected = {"icmp6": "ipv6-icmp"}.get(block.name, block.name)
            if proto != expected:
                raise RuleError("-m %s needs -p %s, the rule has -p %s" % (block.name, expected, proto))
        if block.name in ("icmp",) and family == IPV6:
            raise RuleError("-m icmp is IPv4 only; use -p ipv6-icmp -m icmp6 --icmpv6-type for IPv6")
        if block.name in ("icmp6",) and family == IPV4:
            raise RuleError("-m icmp6 is IPv6 only; use -p icmp -m icmp --icmp-type for IPv4")
        body.append("-m")
        body.append(block.name)
        if block.module is None:
            body.extend(_emit(block.opts))
        else:
            body.extend(_emit(_normalize_module(block.module, block.opts, ctx)))
    if parsed.jump:
        body.append(parsed.jump[0])
        body.append(parsed.jump[1])
        module = TARGETS.get(parsed.jump[1]) if parsed.jump[0] == "-j" else None
        if module is None:
            body.extend(_emit(parsed.target_opts))
        else:
            body.extend(_emit(_normalize_module(module, parsed.target_opts, ctx)))

    sources = header.get("-s", (False, [None]))
    dests = header.get("-d", (False, [None]))
    results = []
    for src in sources[1]:
        for dst in dests[1]:
            tokens = []
            for key in _HEADER_ORDER:
                if key == "-s":
                    if src is not None:
                        tokens.extend((["!"] if sources[0] else []) + ["-s", src])
                    elif sources[0] and "-s" in header:
                        tokens.extend(["!", "-s", "0.0.0.0/0" if family == IPV4 else "::/0"])
                    continue
                if key == "-d":
                    if dst is not None:
                        tokens.extend((["!"] if dests[0] else []) + ["-d", dst])
                    elif dests[0] and "-d" in header:
                        tokens.extend(["!", "-d", "0.0.0.0/0" if family == IPV4 else "::/0"])
                    continue
                if key in header:
                    neg, values = header[key]
                    tokens.extend((["!"] if neg else []) + [key] + values)
            results.append(tuple(tokens + body))
    return results


def rule_text(tokens):
    """Canonical rule tokens as one line (without ``-A CHAIN``)."""
    return join_tokens(tokens)


def rule_target(tokens):
    """Return the jump/goto target of canonical tokens, or None."""
    for index in range(len(tokens) - 1):
        if tokens[index] in ("-j", "-g") and (index == 0 or tokens[index - 1] != "!"):
            return tokens[index + 1]
    return None
