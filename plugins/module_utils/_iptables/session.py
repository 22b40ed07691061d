# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would a planned ruleset still let the SSH session in? Packets walked through the rules.

Pure functions of data, used by ``ironclad.infra.iptables_ruleset`` before it applies anything:

- :func:`session_packets` turns the session (from ``_ssh.lockout_guard.find_ssh_session``) into the
  two packets that matter: a segment of the running connection (conntrack ``ESTABLISHED``) and the
  first packet of a new connection from the same client to the same port (``NEW``, a SYN, source
  port unknown), which the controller needs for its next task and for the commit-confirm
  confirmation;
- :func:`planned_tables` builds, from the planner's ``TablePlan`` objects, each table as it will be
  after the apply: kept foreign rules on top of the declared ones, foreign chains as they are now;
- :func:`evaluate` walks a packet through the chains a locally delivered packet crosses (raw and
  mangle PREROUTING, mangle INPUT, filter INPUT, security INPUT) of the managed tables and returns
  ``accepted``, ``dropped`` or ``uncertain`` with the rule or policy that decides.

Each match answers True, False or "cannot tell" (a rate limit, a mark, a match this evaluator does
not know): such a rule is followed both ways, so the answer is ``dropped`` only when no way through
accepts the packet, and ``accepted`` only when none drops it. Tables the module does not manage are
not evaluated: they are unchanged, and the session is crossing them now. The nat table is not
evaluated either (it cannot drop). Not modelled: address rewriting (DNAT) before INPUT, ``NOTRACK``.
"""

from __future__ import annotations

__metaclass__ = type

import ipaddress

from ansible_collections.ironclad.infra.plugins.module_utils._iptables.rules import parse_tokens, rule_text
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.tokens import IPV4, IPV6, RuleError
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.values import normalize_protocol, tcp_flags

ACCEPTED = "accepted"
DROPPED = "dropped"
UNCERTAIN = "uncertain"

# The chains a packet for a local socket crosses, in order (nat PREROUTING/INPUT cannot drop).
INPUT_PATH = (("raw", "PREROUTING"), ("mangle", "PREROUTING"), ("mangle", "INPUT"), ("filter", "INPUT"),
              ("security", "INPUT"))

# Targets that do not end the walk through a chain.
NON_TERMINATING = frozenset([
    "LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "CT", "NOTRACK", "TRACE", "TCPMSS", "DSCP", "TOS", "TTL",
    "HL", "CLASSIFY", "SET", "AUDIT", "CHECKSUM", "CONNSECMARK", "SECMARK", "IDLETIMER", "LED",
])

_ACCEPT, _DROP, _RETURN, _CONTINUE = "ACCEPT", "DROP", "RETURN", "CONTINUE"
_MAX_DEPTH = 32


class Packet:
    """A TCP packet of the SSH session as the host receives it."""

    def __init__(self, family, src, dst, dport, sport=None, state="NEW", interface=None, label=""):
        self.family = family
        self.src = ipaddress.ip_address(src)
        self.dst = ipaddress.ip_address(dst) if dst else None  # None: not known (given from outside)
        self.sport = sport
        self.dport = dport
        self.state = state
        # a new connection starts with a SYN, the running one sends ACKs
        self.flags = {"SYN"} if state == "NEW" else {"ACK"}
        self.interface = interface
        self.label = label


def session_packets(session, interface=None):
    """The packets a ruleset must accept to keep ``session`` working (see the module docstring)."""
    family = IPV4 if ipaddress.ip_address(session["client"]).version == 4 else IPV6
    common = dict(src=session["client"], dst=session.get("server"), dport=session["server_port"], interface=interface)
    return [
        Packet(family, sport=session.get("client_port"), state="ESTABLISHED",
               label="the running SSH session from %s" % session["client"], **common),
        Packet(family, sport=None, state="NEW",
               label="a new SSH connection from %s to port %d" % (session["client"], session["server_port"]),
               **common),
    ]


def interface_of(ip_addr_output, address):
    """The interface that holds ``address``, from ``ip -o addr show`` output, or None."""
    wanted = ipaddress.ip_address(address)
    for line in (ip_addr_output or "").splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[2] not in ("inet", "inet6"):
            continue
        try:
            if ipaddress.ip_interface(fields[3]).ip == wanted:
                return fields[1].split("@", 1)[0]
        except ValueError:
            continue
    return None


# ---------------------------------------------------------------------------------------------
# The ruleset after the apply
# ---------------------------------------------------------------------------------------------

class _Rule:
    __slots__ = ("parsed", "target", "text")

    def __init__(self, parsed, target, text):
        self.parsed = parsed  # ParsedRule, or None when the words cannot be parsed
        self.target = target
        self.text = text


def _compile(rule, family):
    tokens = list(rule.key)
    try:
        parsed = parse_tokens(tokens, family)
    except RuleError:
        parsed = None
    return _Rule(parsed, rule.target, rule_text(tokens))


def planned_tables(plans, current):
    """``{table: {chain: (policy, [rules])}}`` as the ruleset will be once ``plans`` are applied.

    ``plans`` are the ``TablePlan`` objects of one family, ``current`` that family's parsed
    ``iptables-save`` (for the foreign chains, which the apply leaves as they are).
    """
    tables = {}
    for plan in plans:
        chains = {}
        for name, chain in plan.after.items():
            rules = list(plan.foreign.get(name, [])) + list(chain.rules)
            chains[name] = (chain.policy, [_compile(r, plan.family) for r in rules])
        for name in plan.foreign_chains:
            chain = current.get(plan.table, {}).get(name)
            if chain is not None:
                chains[name] = (None, [_compile(r, plan.family) for r in chain.rules])
        tables[plan.table] = chains
    return tables


def input_path_chains(tables):
    """``{(table, chain)}``: the INPUT-path built-in chains of ``tables`` and the user chains they reach."""
    reached = set()
    for table, builtin in INPUT_PATH:
        chains = tables.get(table) or {}
        todo = [builtin] if builtin in chains else []
        while todo:
            name = todo.pop()
            if (table, name) in reached:
                continue
            reached.add((table, name))
            for rule in chains[name][1]:
                if rule.target in chains and rule.target != name:
                    todo.append(rule.target)
    return reached


def input_path_changed(plans, current):
    """Does applying ``plans`` change a chain that locally delivered packets cross?"""
    before = {}
    for plan in plans:
        before[plan.table] = dict(
            (name, (chain.policy, [_Rule(None, r.target, r.text) for r in chain.rules]))
            for name, chain in plan.before.items())
    on_path = input_path_chains(planned_tables(plans, current)) | input_path_chains(before)
    return any((plan.table, name) in on_path for plan in plans for name in plan.changed_chains)


# ---------------------------------------------------------------------------------------------
# Matching: True, False, or None (cannot tell)
# ---------------------------------------------------------------------------------------------

def _all(values):
    values = list(values)
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _negate(value, negated):
    if value is None or not negated:
        return value
    return not value


def _in_network(address, text):
    if address is None:
        return None
    try:
        return any(address in ipaddress.ip_network(part, strict=False) for part in text.split(","))
    except ValueError:
        return None


def _port_in(port, text):
    if port is None:
        return None
    for part in text.split(","):
        low, sep, high = part.partition(":")
        try:
            low_n = int(low) if low else 0
            high_n = (int(high) if high else 65535) if sep else low_n
        except ValueError:
            return None
        if low_n <= port <= high_n:
            return True
    return False


def _interface(packet, pattern):
    if packet.interface is None:
        # a packet from a remote address does not arrive on the loopback interface
        if pattern in ("lo", "lo+") and not packet.src.is_loopback:
            return False
        return None
    if pattern.endswith("+"):
        return packet.interface.startswith(pattern[:-1])
    return packet.interface == pattern


def _header(packet, key, values):
    value = values[0] if values else ""
    if key == "-s":
        return _in_network(packet.src, value)
    if key == "-d":
        return _in_network(packet.dst, value)
    if key == "-i":
        return _interface(packet, value)
    if key == "-p":
        try:
            proto = normalize_protocol(value)
        except RuleError:
            return None
        return proto is None or proto == "tcp"
    if key == "-f":
        return False  # the session's packets are not fragments
    return None  # -o on an input chain: iptables refuses it anyway


def _tcp_flags_match(packet, values):
    try:
        mask = set(tcp_flags(values[0]).split(","))
        comp = set(tcp_flags(values[1]).split(","))
    except (RuleError, IndexError):
        return None
    mask.discard("NONE")
    comp.discard("NONE")
    return (packet.flags & mask) == comp


def _conntrack_option(packet, name, values):
    value = values[0] if values else ""
    if name in ("--ctstate", "--state"):
        return packet.state in value.upper().split(",")
    if name == "--ctproto":
        try:
            proto = normalize_protocol(value)
        except RuleError:
            return None
        return proto is None or proto in ("tcp", "6")
    if name == "--ctorigsrc":
        return _in_network(packet.src, value)
    if name == "--ctorigdst":
        return _in_network(packet.dst, value)
    if name == "--ctorigsrcport":
        return _port_in(packet.sport, value.replace("-", ":"))
    if name == "--ctorigdstport":
        return _port_in(packet.dport, value.replace("-", ":"))
    if name == "--ctdir":
        return value.upper() == "ORIGINAL"
    return None  # reply direction, status, expiry: not known before the packet arrives


def _option(packet, block, name, values):
    if block == "tcp":
        if name == "--dport":
            return _port_in(packet.dport, values[0])
        if name == "--sport":
            return _port_in(packet.sport, values[0])
        if name == "--tcp-flags":
            return _tcp_flags_match(packet, values)
        return None
    if block == "multiport":
        if name == "--dports":
            return _port_in(packet.dport, values[0])
        if name == "--sports":
            return _port_in(packet.sport, values[0])
        if name == "--ports":
            hits = [_port_in(packet.dport, values[0]), _port_in(packet.sport, values[0])]
            return True if True in hits else (None if None in hits else False)
        return None
    if block in ("conntrack", "state"):
        return _conntrack_option(packet, name, values)
    return None


def _block(packet, block):
    if block.name == "comment":
        return True
    if block.name in ("udp", "icmp", "icmp6", "sctp", "dccp"):
        return False  # the session is TCP
    if block.name not in ("tcp", "multiport", "conntrack", "state"):
        return None  # limit, recent, hashlimit, connlimit, mark, owner, set, ...: depends on more than the packet
    return _all(_negate(_option(packet, block.name, name, values), negated)
                for negated, name, values in block.opts)


def match(packet, rule):
    """Does ``rule`` (a ``ParsedRule``) match ``packet``? True, False, or None (cannot tell)."""
    results = [_negate(_header(packet, key, values), negated) for key, (negated, values) in rule.header.items()]
    results.extend(_block(packet, block) for block in rule.blocks)
    return _all(results)


# ---------------------------------------------------------------------------------------------
# Walking the chains
# ---------------------------------------------------------------------------------------------

def _merge(into, outcomes):
    for outcome, reason in outcomes.items():
        into.setdefault(outcome, reason)


def _walk(chains, name, packet, where, depth):
    """Outcomes of ``packet`` in chain ``name``: ``{ACCEPT|DROP|RETURN: reason}``."""
    outcomes = {}
    if depth > _MAX_DEPTH:
        return {_ACCEPT: "%s: jumps nested too deep" % where, _DROP: "%s: jumps nested too deep" % where}
    for number, rule in enumerate(chains[name][1], 1):
        label = "%s %s rule %d (%s)" % (where, name, number, rule.text)
        hit = match(packet, rule.parsed) if rule.parsed is not None else None
        if hit is False:
            continue
        target = rule.target
        if target is None or target in NON_TERMINATING:
            continue
        if target == "ACCEPT":
            result = {_ACCEPT: label}
        elif target in ("DROP", "REJECT"):
            result = {_DROP: label}
        elif target == "RETURN":
            result = {_RETURN: label}
        elif target in chains and chains[target][0] is None:
            inner = _walk(chains, target, packet, where, depth + 1)
            goto = rule.parsed is not None and rule.parsed.jump is not None and rule.parsed.jump[0] == "-g"
            result = dict((k, v) for k, v in inner.items() if goto or k != _RETURN)
            if not goto and _RETURN in inner:
                result[_CONTINUE] = label
        else:
            # QUEUE, NFQUEUE, SYNPROXY, a chain that is not there: could end either way
            result = {_ACCEPT: label, _DROP: label, _CONTINUE: label}
        if hit is None:
            result[_CONTINUE] = label
        _merge(outcomes, dict((k, v) for k, v in result.items() if k != _CONTINUE))
        if _CONTINUE not in result:
            return outcomes
    outcomes.setdefault(_RETURN, "%s %s: end of chain" % (where, name))
    return outcomes


def evaluate(tables, packet, family):
    """Walk ``packet`` through the INPUT path of ``tables`` (from :func:`planned_tables`).

    Returns ``{"verdict": accepted|dropped|uncertain, "reason": str}``: for ``dropped`` the rule or
    policy that drops it, for ``uncertain`` the ways it may be accepted or dropped.
    """
    uncertain = None
    for table, builtin in INPUT_PATH:
        chains = tables.get(table)
        if not chains or builtin not in chains:
            continue
        where = "%s %s" % (family, table)
        outcomes = _walk(chains, builtin, packet, where, 0)
        if _RETURN in outcomes:
            policy = chains[builtin][0] or "ACCEPT"
            reason = "%s %s: policy %s" % (where, builtin, policy)
            outcomes.pop(_RETURN)
            outcomes.setdefault(_ACCEPT if policy == "ACCEPT" else _DROP, reason)
        if _ACCEPT not in outcomes:
            return {"verdict": DROPPED, "reason": outcomes[_DROP]}
        if _DROP in outcomes and uncertain is None:
            uncertain = "accepted by %s or dropped by %s" % (outcomes[_ACCEPT], outcomes[_DROP])
    if uncertain is not None:
        return {"verdict": UNCERTAIN, "reason": uncertain}
    return {"verdict": ACCEPTED, "reason": ""}
