# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole iptables rulesets: parse ``iptables-save``, plan a declarative change, render the
``iptables-restore`` input that makes it, and the input that undoes it.

Ownership, the heart of "declarative but polite":

* In a *managed* table, the module owns the policies and rules of the built-in chains and every
  user chain, except
* *foreign* chains: undeclared chains whose name matches a preserve pattern (``DOCKER*``,
  ``KUBE-*``, ``f2b-*``, ...). They are never flushed, rewritten or deleted;
* *foreign* rules in built-in chains: rules that jump to a foreign chain (Docker's
  ``-A FORWARD -j DOCKER-USER``) or that match a preserve regex (Docker's bridge rules). They are
  kept, in their order, at the top of their chain, where Docker, kube-proxy and fail2ban put them.

The change is rendered for ``iptables-restore --noflush``: only chains that differ are flushed and
refilled, foreign chains are not mentioned at all, so one transaction per family applies it
(atomically: nf_tables commits the whole batch or nothing).
"""

from __future__ import annotations

__metaclass__ = type

import difflib
import fnmatch
import re

from ansible_collections.ironclad.infra.plugins.module_utils._iptables.rules import (
    STANDARD_TARGETS,
    add_comment,
    detect_family,
    normalize_parsed,
    parse_tokens,
)
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.tokens import (
    FAMILIES,
    IPV4,
    IPV6,
    RuleError,
    join_tokens,
    split_restore_line,
    split_user_rule,
)

BUILTIN_CHAINS = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "raw": ("PREROUTING", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}
TABLE_ORDER = ("raw", "mangle", "nat", "filter", "security")

DEFAULT_PRESERVE_CHAINS = ("DOCKER*", "KUBE-*", "f2b-*", "CNI-*", "cali-*", "LIBVIRT_*")
# Rules Docker puts into built-in chains for its bridges (docker0, br-<12 hex>), e.g.
# "-A FORWARD -o docker0 -j DOCKER" or "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE".
DEFAULT_PRESERVE_RULES = (r"(^| )-[io] (docker[0-9]+|br-[0-9a-f]{12})( |$)",)

_CHAIN_NAME = re.compile(r"^[^\s!\"'\\]{1,28}$")


class RulesetError(ValueError):
    """An invalid desired ruleset or unreadable iptables-save output."""


class Rule:
    """One rule: its tokens as they will be written, and the canonical key used to compare."""

    __slots__ = ("key", "origin", "target", "tokens")

    def __init__(self, tokens, key, target, origin=None):
        self.tokens = tuple(tokens)
        self.key = tuple(key)
        self.target = target
        self.origin = origin

    @property
    def text(self):
        return join_tokens(self.key)

    def __repr__(self):
        return "Rule(%r)" % self.text

    @classmethod
    def from_saved(cls, tokens, family):
        """A rule as iptables-save printed it; unknown syntax compares by its literal tokens."""
        try:
            parsed = parse_tokens(tokens, family)
            target = parsed.jump[1] if parsed.jump else None
            keys = normalize_parsed(parsed, family)
            key = keys[0] if len(keys) == 1 else tuple(tokens)
        except RuleError:
            key = tuple(tokens)
            target = None
            for index in range(len(tokens) - 1):
                if tokens[index] in ("-j", "-g"):
                    target = tokens[index + 1]
        return cls(tokens, key, target)


class Chain:
    """A chain: policy (built-in chains only) and rules in order."""

    __slots__ = ("exists", "name", "policy", "rules")

    def __init__(self, name, policy=None, rules=None, exists=True):
        self.name = name
        self.policy = policy
        self.rules = list(rules or [])
        self.exists = exists

    @property
    def keys(self):
        return [rule.key for rule in self.rules]


def parse_save(text, family):
    """Parse ``iptables-save`` output into ``{table: {chain: Chain}}`` (chains in save order)."""
    tables = {}
    table = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = {}
            tables[line[1:].strip()] = table
            continue
        if table is None:
            raise RulesetError("iptables-save line %d is outside a table: %r" % (number, raw))
        if line == "COMMIT":
            table = None
            continue
        if line.startswith(":"):
            parts = line[1:].split()
            if len(parts) < 2:
                raise RulesetError("iptables-save line %d declares a chain oddly: %r" % (number, raw))
            policy = None if parts[1] == "-" else parts[1]
            table[parts[0]] = Chain(parts[0], policy)
            continue
        tokens = split_restore_line(line)
        if len(tokens) < 2 or tokens[0] != "-A":
            raise RulesetError("iptables-save line %d is not a rule: %r" % (number, raw))
        chain = table.get(tokens[1])
        if chain is None:
            chain = table[tokens[1]] = Chain(tokens[1])
        chain.rules.append(Rule.from_saved(tokens[2:], family))
    return tables


# --------------------------------------------------------------------------------------------
# Desired state
# --------------------------------------------------------------------------------------------

def _rule_entries(spec):
    """Yield (rule text, family choice, comment) for the rules of a chain spec."""
    for index, item in enumerate(spec.get("rules") or []):
        if isinstance(item, str):
            yield index, item, "auto", None
        elif isinstance(item, dict):
            unknown = set(item) - {"rule", "family", "comment"}
            if unknown:
                raise RulesetError(
                    "chain %s rule %d has unknown keys %s; a rule is a string or a dict with "
                    "rule, family, comment" % (spec.get("name"), index + 1, ", ".join(sorted(unknown)))
                )
            if not isinstance(item.get("rule"), str) or not item["rule"].strip():
                raise RulesetError("chain %s rule %d needs a 'rule' string" % (spec.get("name"), index + 1))
            family = item.get("family") or "auto"
            if family not in ("auto", "both", IPV4, IPV6):
                raise RulesetError(
                    "chain %s rule %d: family must be auto, both, ipv4 or ipv6, not %r"
                    % (spec.get("name"), index + 1, family)
                )
            yield index, item["rule"], family, item.get("comment")
        else:
            raise RulesetError(
                "chain %s rule %d must be a string or a dict, not %s"
                % (spec.get("name"), index + 1, type(item).__name__)
            )


def build_desired(chain_specs, family, tables, cache=None):
    """Turn the module's ``chains`` option into ``{table: {chain: Chain}}`` for one family.

    Built-in chains of every managed table are present (policy ACCEPT, no rules unless declared).
    Chains with ``create: false`` are marked so the planner can skip them when they are absent.
    ``cache`` (a dict shared between the calls for both families) keeps each rule's words and detected
    family, so a rule of the other family is skipped without parsing it again.
    Returns ``(desired, create_flags)``.
    """
    if cache is None:
        cache = {}
    desired = {}
    optional = set()
    for table in tables:
        if table not in BUILTIN_CHAINS:
            raise RulesetError("unknown table %r (use %s)" % (table, ", ".join(TABLE_ORDER)))
        desired[table] = dict((name, Chain(name, "ACCEPT")) for name in BUILTIN_CHAINS[table])
    seen = set()
    for spec in chain_specs:
        name = spec["name"]
        table = spec.get("table") or "filter"
        families = spec.get("family") or list(FAMILIES)
        if table not in desired:
            raise RulesetError(
                "chain %s is in table %s, which is not managed; add %s to 'tables'" % (name, table, table)
            )
        if (table, name) in seen:
            raise RulesetError("chain %s of table %s is declared twice" % (name, table))
        seen.add((table, name))
        if not _CHAIN_NAME.match(name):
            raise RulesetError("chain name %r is invalid (1-28 characters, no spaces or quotes)" % name)
        if family not in families:
            continue
        builtin = name in BUILTIN_CHAINS[table]
        policy = spec.get("policy")
        if builtin:
            policy = (policy or "ACCEPT").upper()
            if policy not in ("ACCEPT", "DROP"):
                raise RulesetError("policy of %s must be ACCEPT or DROP, not %r" % (name, policy))
        elif policy:
            raise RulesetError(
                "chain %s is a user chain and cannot have a policy; end it with a rule such as "
                "'-j DROP' or '-j RETURN'" % name
            )
        chain = Chain(name, policy if builtin else None)
        for index, text, rule_family, comment in _rule_entries(spec):
            origin = "chain %s rule %d (%s)" % (name, index + 1, text)
            try:
                if rule_family != "both" and rule_family != "auto" and rule_family != family:
                    continue
                if text in cache:
                    tokens, detected = cache[text]
                    parsed = None
                else:
                    tokens = split_user_rule(text)
                    parsed = parse_tokens(tokens, family)
                    detected = detect_family(parsed)
                    cache[text] = (tokens, detected)
                if rule_family == "auto" and detected is not None and detected != family:
                    continue
                if parsed is None:
                    parsed = parse_tokens(tokens, family)
                if comment is not None:
                    add_comment(parsed, comment)
                keys = normalize_parsed(parsed, family)
            except RuleError as exc:
                raise RulesetError("%s: %s" % (origin, exc)) from exc
            target = parsed.jump[1] if parsed.jump else None
            for key in keys:
                chain.rules.append(Rule(key, key, target, origin))
        desired[table][name] = chain
        if spec.get("create") is False and not builtin:
            optional.add((table, name))
    return desired, optional


# --------------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------------

def _matches_any(name, patterns):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


class TablePlan:
    """Before/after of the owned part of one table, the foreign rules kept, and the renderers."""

    def __init__(self, family, table, before, after, foreign, foreign_chains):
        self.family = family
        self.table = table
        self.before = before  # {chain: Chain} owned part now
        self.after = after  # {chain: Chain} owned part wanted
        self.foreign = foreign  # {builtin chain: [Rule]} foreign rules to keep on top
        self.foreign_chains = foreign_chains  # names of foreign chains (untouched)

    def chain_changed(self, name):
        before = self.before.get(name)
        after = self.after.get(name)
        if before is None or after is None:
            return before is not after
        return before.policy != after.policy or before.keys != after.keys

    @property
    def changed_chains(self):
        names = list(self.after) + [n for n in self.before if n not in self.after]
        return [n for n in names if self.chain_changed(n)]

    @property
    def changed(self):
        return bool(self.changed_chains)

    def reverse(self):
        """The plan that undoes this one (used for the rollback payload)."""
        return TablePlan(self.family, self.table, self.after, self.before, self.foreign, self.foreign_chains)

    def render_noflush(self):
        """``iptables-restore --noflush`` input; returns (lines, origins) with one origin per line."""
        builtin = BUILTIN_CHAINS[self.table]
        changed = self.changed_chains
        if not changed:
            return [], []
        lines, origins = ["*%s" % self.table], [None]
        for name in changed:
            after = self.after.get(name)
            before = self.before.get(name)
            if after is None:
                continue
            if name in builtin:
                lines.append(":%s %s [0:0]" % (name, after.policy))
                origins.append("policy of %s" % name)
            elif before is None or not before.exists:
                lines.append(":%s - [0:0]" % name)
                origins.append("creating chain %s" % name)
        for name in changed:
            before = self.before.get(name)
            if before is not None and before.exists:
                lines.append("-F %s" % name)
                origins.append("flushing chain %s" % name)
        for name in changed:
            before = self.before.get(name)
            if name not in self.after and before is not None and before.exists and name not in builtin:
                lines.append("-X %s" % name)
                origins.append("deleting chain %s (not declared; declare or preserve it to keep it)" % name)
        for name in changed:
            after = self.after.get(name)
            if after is None:
                continue
            for rule in self.foreign.get(name, []):
                lines.append("-A %s %s" % (name, join_tokens(rule.tokens)))
                origins.append("kept foreign rule -A %s %s" % (name, join_tokens(rule.tokens)))
            for rule in after.rules:
                lines.append("-A %s %s" % (name, join_tokens(rule.tokens)))
                origins.append(rule.origin or "rule -A %s %s" % (name, rule.text))
        lines.append("COMMIT")
        origins.append(None)
        return lines, origins

    def render_full(self):
        """The owned part as a complete iptables-save file section (for rules.v4/rules.v6)."""
        builtin = BUILTIN_CHAINS[self.table]
        lines = ["*%s" % self.table]
        for name in builtin:
            chain = self.after.get(name)
            lines.append(":%s %s [0:0]" % (name, chain.policy if chain else "ACCEPT"))
        for name in self.after:
            if name not in builtin:
                lines.append(":%s - [0:0]" % name)
        for name, chain in self.after.items():
            for rule in chain.rules:
                lines.append("-A %s %s" % (name, join_tokens(rule.tokens)))
        lines.append("COMMIT")
        return lines

    def record(self, tracker, prefix):
        """Record every difference once in a DifferenceTracker; returns (added, removed) lists."""
        added, removed = [], []
        for name in self.changed_chains:
            before = self.before.get(name)
            after = self.after.get(name)
            key = "%s.%s.%s" % (prefix, self.table, name)
            label = "%s %s %s" % (self.family, self.table, name)
            if after is None:
                tracker.add(key, [r.text for r in before.rules], None,
                            action="%s: delete chain (not declared)" % label)
                for pos, rule in enumerate(before.rules):
                    removed.append(self._item(name, pos, rule))
                continue
            if before is None or not before.exists:
                if name not in BUILTIN_CHAINS[self.table]:
                    tracker.add_action("%s: create chain" % label)
            if before is not None and before.policy != after.policy and name in BUILTIN_CHAINS[self.table]:
                tracker.add(key + ".policy", before.policy, after.policy,
                            action="%s: policy %s -> %s" % (label, before.policy, after.policy))
            before_keys = before.keys if before is not None else []
            if before_keys != after.keys:
                before_rules = before.rules if before is not None else []
                tracker.add(key + ".rules", [r.text for r in before_rules], [r.text for r in after.rules])
                matcher = difflib.SequenceMatcher(None, before_keys, after.keys, autojunk=False)
                for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                    if tag in ("delete", "replace"):
                        for pos in range(i1, i2):
                            removed.append(self._item(name, pos, before_rules[pos]))
                            tracker.add_action("%s: remove rule %d: %s" % (label, pos + 1, before_rules[pos].text))
                    if tag in ("insert", "replace"):
                        for pos in range(j1, j2):
                            added.append(self._item(name, pos, after.rules[pos]))
                            tracker.add_action("%s: add rule %d: %s" % (label, pos + 1, after.rules[pos].text))
        return added, removed

    def _item(self, chain, position, rule):
        return {
            "family": self.family, "table": self.table, "chain": chain,
            "position": position + 1, "rule": rule.text,
        }


def plan_table(family, table, current, desired, optional, preserve_chains, preserve_rules):
    """Compare the current chains of a table with the desired ones.

    ``current`` and ``desired`` are ``{chain: Chain}``; ``optional`` holds (table, chain) pairs
    declared with ``create: false``.
    """
    builtin = BUILTIN_CHAINS[table]
    rule_patterns = []
    for pattern in preserve_rules:
        try:
            rule_patterns.append(re.compile(pattern))
        except re.error as exc:
            raise RulesetError("preserve_rules entry %r is not a valid regular expression: %s" % (pattern, exc)) from exc
    foreign_chains = set(
        name for name in current if name not in builtin and name not in desired and _matches_any(name, preserve_chains)
    )
    before, after, foreign = {}, {}, {}
    for name in builtin:
        chain = current.get(name)
        wanted = desired.get(name)
        wanted_keys = set(wanted.keys) if wanted else set()
        if chain is None:
            before[name] = Chain(name, "ACCEPT", [], exists=False)
            continue
        owned, kept = [], []
        for rule in chain.rules:
            text = "-A %s %s" % (name, join_tokens(rule.tokens))
            is_foreign = (
                rule.target in foreign_chains
                or (rule.target is not None and rule.target not in builtin and _matches_any(rule.target, preserve_chains))
                or any(p.search(text) for p in rule_patterns)
            )
            if is_foreign and rule.key not in wanted_keys:
                kept.append(rule)
            else:
                owned.append(rule)
        before[name] = Chain(name, chain.policy or "ACCEPT", owned)
        if kept:
            foreign[name] = kept
    for name, chain in current.items():
        if name in builtin or name in foreign_chains:
            continue
        before[name] = Chain(name, None, chain.rules)
    for name, chain in desired.items():
        if (table, name) in optional and name not in current:
            continue
        after[name] = chain
    _validate_targets(family, table, after, current, foreign_chains)
    return TablePlan(family, table, before, after, foreign, sorted(foreign_chains))


def _validate_targets(family, table, after, current, foreign_chains):
    builtin = BUILTIN_CHAINS[table]
    for name, chain in after.items():
        for rule in chain.rules:
            target = rule.target
            if target is None or target in STANDARD_TARGETS:
                continue
            if target in builtin:
                raise RulesetError(
                    "%s (%s): cannot jump to the built-in chain %s" % (rule.origin or name, family, target)
                )
            if target in after or target in foreign_chains:
                continue
            if target in current:
                raise RulesetError(
                    "%s (%s %s): jumps to chain %s, which exists now but is not declared, so it would be "
                    "deleted; declare it under 'chains' or add it to preserve_chains"
                    % (rule.origin or name, family, table, target)
                )
            if target != target.upper():
                raise RulesetError(
                    "%s (%s %s): jumps to %s, which is neither a declared chain nor an existing preserved "
                    "chain; declare the chain under 'chains'" % (rule.origin or name, family, table, target)
                )


def render_restore(plans):
    """Join the noflush sections of several table plans; returns (text, origins by line number)."""
    lines, origins = [], []
    for plan in plans:
        plan_lines, plan_origins = plan.render_noflush()
        lines.extend(plan_lines)
        origins.extend(plan_origins)
    return ("\n".join(lines) + "\n") if lines else "", origins


def render_persist(plans, header):
    lines = ["# %s" % header]
    for plan in sorted(plans, key=lambda p: TABLE_ORDER.index(p.table)):
        lines.extend(plan.render_full())
    return "\n".join(lines) + "\n"


_LINE_RE = re.compile(r"(?:Error occurred at line: |line )(\d+)")


def explain_restore_error(message, origins):
    """Turn an iptables-restore error into one that names the rule it came from."""
    detail = " ".join((message or "").split())
    match = _LINE_RE.search(message or "")
    if match:
        number = int(match.group(1))
        if 1 <= number <= len(origins) and origins[number - 1]:
            return "%s: %s" % (origins[number - 1], detail)
    return detail
