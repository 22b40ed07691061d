# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values of an iptables rule in the form ``iptables-save`` prints them: addresses and networks,
protocols, ports and port lists, and the values of the common match and target options (TCP flags,
connection states, rates, log levels, REJECT types, ICMP types, marks, masks).

Each normaliser takes the text a user (or ``iptables-save``) wrote and returns the canonical text, or
raises :class:`.tokens.RuleError` saying what is wrong. Which option uses which normaliser is the
table of :mod:`.extensions`. Plain Python without Ansible.
"""

from __future__ import annotations

__metaclass__ = type

import ipaddress
import socket

from ansible_collections.ironclad.infra.plugins.module_utils._iptables.tokens import IPV4, IPV6, RuleError


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
BUILTIN_PROTOCOLS = {
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
_PROTOCOL_NUMBERS = dict((num, name) for name, num in BUILTIN_PROTOCOLS.items())


def normalize_protocol(text):
    """Return the canonical protocol token, or None for "all"."""
    value = text.strip().lower()
    if value in ("all", "0"):
        return None
    if value.isdigit():
        num = int(value)
        if num > 255:
            raise RuleError("protocol number %s is out of range (0-255)" % text)
    elif value in BUILTIN_PROTOCOLS:
        num = BUILTIN_PROTOCOLS[value]
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


def tcp_flags(text):
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


def ct_states(text):
    wanted = set()
    for part in text.upper().split(","):
        if part not in _CT_STATES:
            raise RuleError("unknown connection state %r (use %s)" % (part, ", ".join(_CT_STATES)))
        wanted.add(part)
    return ",".join(s for s in _CT_STATES if s in wanted)


_LIMIT_SCALE = 10000
_RATE_UNITS = (("day", 24 * 60 * 60), ("hour", 60 * 60), ("min", 60), ("sec", 1))
_RATE_PARSE = (("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400))


def rate(text, scale=_LIMIT_SCALE):
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


def log_level(text):
    value = text.lower()
    if value.isdigit() and int(value) <= 7:
        return value
    if value in _LOG_LEVELS:
        return str(_LOG_LEVELS[value])
    raise RuleError("unknown log level %r (use 0-7 or emerg..debug)" % text)


REJECT_V4 = {
    "icmp-net-unreachable": "net-unreach", "icmp-host-unreachable": "host-unreach",
    "icmp-proto-unreachable": "proto-unreach", "icmp-port-unreachable": "port-unreach",
    "icmp-net-prohibited": "net-prohib", "icmp-host-prohibited": "host-prohib",
    "tcp-reset": "tcp-rst", "icmp-admin-prohibited": "admin-prohib",
}
REJECT_V6 = {
    "icmp6-no-route": "no-route", "icmp6-adm-prohibited": "adm-prohibited",
    "icmp6-addr-unreachable": "addr-unreach", "icmp6-port-unreachable": "port-unreach",
    "tcp-reset": "tcp-rst", "icmp6-policy-fail": "policy-fail", "icmp6-reject-route": "reject-route",
}


def reject_with(text, family):
    value = text.lower()
    tables = [(IPV4, REJECT_V4), (IPV6, REJECT_V6)]
    if family == IPV6:
        tables.reverse()
    for fam, table in tables:
        for name, alias in table.items():
            if value in (name, alias):
                if family is not None and fam != family and name != "tcp-reset":
                    raise RuleError("--reject-with %s is for %s, not %s" % (text, fam, family))
                return name
    raise RuleError("unknown --reject-with type %r" % text)


ICMP_TYPES = {
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
ICMP6_TYPES = {
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


def icmp_type(text, table, allow_any):
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


def mark_match(text):
    value, mask = _mark(text)
    if mask == 0xFFFFFFFF:
        return "0x%x" % value
    return "0x%x/0x%x" % (value, mask)


def set_xmark(text):
    value, mask = _mark(text)
    return "0x%x/0x%x" % (value, mask)


def ipv4_mask(text):
    try:
        return str(ipaddress.IPv4Network("0.0.0.0/%s" % text).netmask)
    except ValueError as exc:
        raise RuleError("%r is not an IPv4 netmask" % text) from exc


def ipv6_mask(text):
    try:
        return _format_ipv6(ipaddress.IPv6Address(text))
    except ValueError as exc:
        raise RuleError("%r is not an IPv6 mask" % text) from exc
