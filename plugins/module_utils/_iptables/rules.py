# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One iptables rule: parse and normalise it the way ``iptables-save`` prints it.

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

The package: :mod:`.tokens` (words and quoting), :mod:`.values` (value normalisers),
:mod:`.extensions` (the table of known matches and targets) and this module (a whole rule).
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.ironclad.infra.plugins.module_utils._iptables.extensions import MATCHES, TARGETS
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.tokens import (
    IPV4,
    IPV6,
    RuleError,
    join_tokens,
    split_user_rule,
)
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.values import (
    REJECT_V4,
    REJECT_V6,
    address_family,
    normalize_address,
    normalize_protocol,
)

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
                if value in REJECT_V6 or value in REJECT_V6.values():
                    if value not in ("tcp-reset", "tcp-rst", "port-unreach"):
                        found.add(IPV6)
                if value in REJECT_V4 or value in REJECT_V4.values():
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
                    tokens.extend(_address_tokens("-s", src, sources[0], "-s" in header, family))
                elif key == "-d":
                    tokens.extend(_address_tokens("-d", dst, dests[0], "-d" in header, family))
                elif key in header:
                    neg, values = header[key]
                    tokens.extend((["!"] if neg else []) + [key] + values)
            results.append(tuple(tokens + body))
    return results


def _address_tokens(option, address, negated, given, family):
    """``-s``/``-d`` of one expanded rule: the address (negated as written); for a negated address that
    normalised to "anywhere", the negated "anywhere" of the family; else nothing."""
    if address is not None:
        return (["!"] if negated else []) + [option, address]
    if negated and given:
        return ["!", option, "0.0.0.0/0" if family == IPV4 else "::/0"]
    return []


def rule_text(tokens):
    """Canonical rule tokens as one line (without ``-A CHAIN``)."""
    return join_tokens(tokens)


def rule_target(tokens):
    """Return the jump/goto target of canonical tokens, or None."""
    for index in range(len(tokens) - 1):
        if tokens[index] in ("-j", "-g") and (index == 0 or tokens[index - 1] != "!"):
            return tokens[index + 1]
    return None
