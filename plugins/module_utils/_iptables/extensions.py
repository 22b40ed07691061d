# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data: the match and target extensions this package understands, as a table (``MATCHES``,
``TARGETS``): for each one its options with their aliases, number of values, print-order slot and
value normaliser (from :mod:`.values`), and the defaults iptables adds or drops when it prints the rule
back. Matches and targets missing here are kept as written (see :mod:`.rules`).

To teach the package a new option, add an ``_Opt`` to its extension's entry; nothing else changes.
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.ironclad.infra.plugins.module_utils._iptables.tokens import IPV6
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.values import (
    BUILTIN_PROTOCOLS,
    ICMP6_TYPES,
    ICMP_TYPES,
    ct_states,
    icmp_type,
    ipv4_mask,
    ipv6_mask,
    log_level,
    mark_match,
    normalize_address,
    normalize_port_list,
    normalize_port_range,
    normalize_protocol,
    rate,
    reject_with,
    set_xmark,
    tcp_flags,
)


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


def _add_defaults(opts, defaults):
    """``opts`` and, for each ``(options, option, values)`` of ``defaults`` none of whose ``options`` is given,
    ``option`` with ``values`` at the end: the defaults iptables prints for options left out."""
    given = set(opt[1] for opt in opts)
    return list(opts) + [(False, option, values) for names, option, values in defaults if given.isdisjoint(names)]


def _recent_finish(opts, ctx):
    mask = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" if ctx.get("family") == IPV6 else "255.255.255.255"
    return _add_defaults(opts, ((("--name",), "--name", ["DEFAULT"]), (("--mask",), "--mask", [mask]),
                                (("--rsource", "--rdest"), "--rsource", [])))


def _recent_mask(values, ctx):
    text = values[0]
    if ":" in text or ctx.get("family") == IPV6:
        return [ipv6_mask(text)]
    return [ipv4_mask(text)]


def _connlimit_finish(opts, ctx):
    mask = "128" if ctx.get("family") == IPV6 else "32"
    return _add_defaults(opts, ((("--connlimit-mask",), "--connlimit-mask", [mask]),
                                (("--connlimit-saddr", "--connlimit-daddr"), "--connlimit-saddr", [])))


def _hashlimit_finish(opts, ctx):
    return _add_defaults(opts, ((("--hashlimit-burst",), "--hashlimit-burst", ["5"]),))


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
    number = BUILTIN_PROTOCOLS.get(proto, None)
    return [str(number) if number is not None else proto]


def _addr_option(values, ctx):
    return [normalize_address(values[0], ctx.get("family")) or "0.0.0.0/0"]


def _lower(values, ctx):
    return [values[0].lower()]


def _reject_value(values, ctx):
    return [reject_with(values[0], ctx.get("family"))]


MATCHES = {
    "tcp": _Module("tcp", [
        _Opt("--sport", aliases=("--source-port",), value=_ports),
        _Opt("--dport", aliases=("--destination-port",), value=_ports),
        _Opt("--tcp-option", value=_v(lambda x: str(int(x)))),
        _Opt("--tcp-flags", arity=2,
             value=lambda values, ctx: [tcp_flags(values[0]), tcp_flags(values[1])]),
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
        _Opt("--ctstate", value=_v(ct_states)),
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
    "state": _Module("state", [_Opt("--state", value=_v(ct_states))]),
    "comment": _Module("comment", [_Opt("--comment")]),
    "limit": _Module("limit", [
        _Opt("--limit", value=_v(rate)),
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
        _Opt("--icmp-type", value=_v(lambda x: icmp_type(x, ICMP_TYPES, True))),
    ]),
    "icmp6": _Module("icmp6", [
        _Opt("--icmpv6-type", value=_v(lambda x: icmp_type(x, ICMP6_TYPES, False))),
    ]),
    "mark": _Module("mark", [_Opt("--mark", value=_v(mark_match))]),
    "mac": _Module("mac", [_Opt("--mac-source", value=_lower)]),
    "connlimit": _Module("connlimit", [
        _Opt("--connlimit-upto", value=_v(lambda x: str(int(x))), group="limit"),
        _Opt("--connlimit-above", value=_v(lambda x: str(int(x))), group="limit"),
        _Opt("--connlimit-mask", value=_v(lambda x: str(int(x)))),
        _Opt("--connlimit-saddr", arity=0, group="side"),
        _Opt("--connlimit-daddr", arity=0, group="side"),
    ], finish=_connlimit_finish),
    "hashlimit": _Module("hashlimit", [
        _Opt("--hashlimit-upto", value=_v(rate), group="rate"),
        _Opt("--hashlimit-above", value=_v(rate), group="rate"),
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
        _Opt("--log-level", value=_v(log_level)),
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
        _Opt("--set-xmark", value=_v(set_xmark)),
        _Opt("--set-mark", value=_v(set_xmark), group="--set-xmark"),
    ], finish=_mark_target_finish),
}
