# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declarative RabbitMQ definitions: validate, compare and plan.

Pure functions of data in, data out: the desired vhosts, users (with their permissions) and policies
are validated and normalised, compared with what ``rabbitmqctl export_definitions`` reports, and the
differences are turned into an ordered list of ``rabbitmqctl`` commands. Nothing here runs a command;
``_rabbitmq_backend.py`` (``DefinitionsBackend``) does that.

Used by the ``rabbitmq_definitions`` module and by the ``rabbitmq_definitions_errors`` filter, so that
the role rejects a malformed policy or a permission on an unknown vhost before anything changes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker

__metaclass__ = type

DEFAULT_VHOST = "/"
QUEUE_TYPES = ("classic", "quorum", "stream")
APPLY_TO = ("all", "queues", "exchanges", "classic_queues", "quorum_queues", "streams")
# apply-to values that only exist since RabbitMQ 3.12.
APPLY_TO_SINCE = {"classic_queues": (3, 12), "quorum_queues": (3, 12), "streams": (3, 12)}
STATES = ("present", "absent")
REMOVABLE_KINDS = ("vhosts", "users", "permissions", "topic_permissions", "policies")
MASKED = "********"

HASHING_ALGORITHMS = {
    "rabbit_password_hashing_sha256": hashlib.sha256,
    "rabbit_password_hashing_sha512": hashlib.sha512,
    "rabbit_password_hashing_md5": hashlib.md5,
}


class DefinitionsError(Exception):
    """Invalid input or a state the module refuses to change; the message says what to do."""


# --------------------------------------------------------------------------------------------------
# Policy definition keys and their value checks
# --------------------------------------------------------------------------------------------------


def _non_negative_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _string(value):
    return isinstance(value, str) and value != ""


def _one_of(*choices):
    def check(value):
        return value in choices

    check.expected = "one of " + ", ".join(repr(c) for c in choices)
    return check


def _duration(value):
    return isinstance(value, str) and re.match(r"^[0-9]+(Y|M|D|h|m|s)$", value) is not None


def _ha_params(value):
    if _positive_int(value):
        return True
    return isinstance(value, list) and bool(value) and all(_string(v) for v in value)


def _boolean(value):
    return isinstance(value, bool)


_non_negative_int.expected = "a non-negative integer"
_positive_int.expected = "a positive integer"
_string.expected = "a non-empty string"
_duration.expected = "a duration such as '7D', '12h' or '30m'"
_ha_params.expected = "a positive integer or a list of node names"
_boolean.expected = "true or false"

POLICY_KEYS = {
    "alternate-exchange": _string,
    "consumer-timeout": _positive_int,
    "dead-letter-exchange": _string,
    "dead-letter-routing-key": _string,
    "dead-letter-strategy": _one_of("at-most-once", "at-least-once"),
    "delivery-limit": _non_negative_int,
    "expires": _positive_int,
    "federation-upstream": _string,
    "federation-upstream-set": _string,
    "ha-mode": _one_of("all", "exactly", "nodes"),
    "ha-params": _ha_params,
    "ha-promote-on-failure": _one_of("always", "when-synced"),
    "ha-promote-on-shutdown": _one_of("always", "when-synced"),
    "ha-sync-batch-size": _positive_int,
    "ha-sync-mode": _one_of("manual", "automatic"),
    "initial-cluster-size": _positive_int,
    "max-age": _duration,
    "max-in-memory-bytes": _non_negative_int,
    "max-in-memory-length": _non_negative_int,
    "max-length": _non_negative_int,
    "max-length-bytes": _non_negative_int,
    "message-ttl": _non_negative_int,
    "overflow": _one_of("drop-head", "reject-publish", "reject-publish-dlx"),
    "queue-leader-locator": _one_of("client-local", "balanced"),
    "queue-master-locator": _one_of("min-masters", "client-local", "random"),
    "queue-mode": _one_of("default", "lazy"),
    "queue-version": _one_of(1, 2),
    "stream-max-segment-size-bytes": _positive_int,
    "target-group-size": _positive_int,
}


# --------------------------------------------------------------------------------------------------
# Normalisation and validation of the desired state
# --------------------------------------------------------------------------------------------------


def _regex_error(pattern):
    """Return why ``pattern`` is not a usable regular expression, or None.

    RabbitMQ uses PCRE; Python's ``re`` accepts nearly the same syntax, so it catches typos such as an
    unbalanced bracket before the broker sees them.
    """
    if not isinstance(pattern, str):
        return "must be a string, got %r" % (pattern,)
    try:
        re.compile(pattern)
    except re.error as exc:
        return "is not a valid regular expression (%s)" % exc
    return None


def _tags(value):
    if value is None:
        return []
    if isinstance(value, str):
        return sorted({t.strip() for t in value.split(",") if t.strip()})
    return sorted({str(t) for t in value})


def normalize_vhost(item):
    return {
        "name": item.get("name"),
        "state": item.get("state") or "present",
        "description": item.get("description"),
        "tags": None if item.get("tags") is None else _tags(item.get("tags")),
        "default_queue_type": item.get("default_queue_type"),
    }


def normalize_permission(item):
    return {
        "vhost": item.get("vhost", DEFAULT_VHOST),
        "configure": item.get("configure", "^$"),
        "write": item.get("write", "^$"),
        "read": item.get("read", "^$"),
    }


def normalize_topic_permission(item):
    return {
        "vhost": item.get("vhost", DEFAULT_VHOST),
        "exchange": item.get("exchange", "amq.topic"),
        "write": item.get("write", "^$"),
        "read": item.get("read", "^$"),
    }


def normalize_user(item):
    return {
        "name": item.get("name"),
        "state": item.get("state") or "present",
        "password": item.get("password"),
        "tags": _tags(item.get("tags")),
        "permissions": [normalize_permission(p) for p in (item.get("permissions") or []) if isinstance(p, dict)],
        "topic_permissions": [normalize_topic_permission(p) for p in (item.get("topic_permissions") or []) if isinstance(p, dict)],
    }


def normalize_policy(item):
    return {
        "name": item.get("name"),
        "vhost": item.get("vhost", DEFAULT_VHOST),
        "state": item.get("state") or "present",
        "pattern": item.get("pattern"),
        "apply_to": item.get("apply_to") or "all",
        "priority": item.get("priority", 0),
        "definition": item.get("definition"),
    }


def _label(kind, index, item):
    name = item.get("name") if isinstance(item, dict) else None
    if name:
        return "%s[%d] '%s'" % (kind, index, name)
    return "%s[%d]" % (kind, index)


def _entries(raws, collection, normalize, shape, errors):
    """Yield ``(label, raw, item)`` for each entry of one declared collection that can be checked further.

    An entry that is not a mapping (``shape`` says what it must hold), or whose ``name`` is not a
    non-empty string, is reported in ``errors`` and skipped. ``item`` is the entry normalised by
    ``normalize``; ``label`` names it in messages (``collection[index] 'name'``). The errors of a
    skipped entry land before those the caller adds for later entries, so messages keep the input order.
    """
    for index, raw in enumerate(raws or []):
        label = _label(collection, index, raw)
        if not isinstance(raw, dict):
            errors.append("%s must be a mapping with %s, got %r" % (label, shape, raw))
            continue
        item = normalize(raw)
        if not _string(item["name"]):
            errors.append("%s: 'name' is required and must be a non-empty string" % label)
            continue
        yield label, raw, item


def _state_errors(label, item):
    """The error for a ``state`` other than present/absent, as a list (empty when it is one of them)."""
    if item["state"] not in STATES:
        return ["%s: state must be one of %s, got %r" % (label, ", ".join(STATES), item["state"])]
    return []


def validate_policy_definition(definition, extra_keys=()):
    """Return a list of problems with one policy definition (a dict of policy keys)."""
    if not isinstance(definition, dict) or not definition:
        return ["definition must be a non-empty mapping of policy keys, got %r" % (definition,)]
    errors = []
    for key in sorted(definition):
        value = definition[key]
        if key in extra_keys:
            continue
        check = POLICY_KEYS.get(key)
        if check is None:
            errors.append(
                "unknown policy key '%s' (known keys: %s; a key of a plugin can be allowed with extra_policy_keys)"
                % (key, ", ".join(sorted(POLICY_KEYS)))
            )
        elif not check(value):
            errors.append("policy key '%s' must be %s, got %r" % (key, check.expected, value))
    if definition.get("ha-mode") in ("exactly", "nodes") and "ha-params" not in definition:
        errors.append("policy key 'ha-mode: %s' needs 'ha-params'" % definition["ha-mode"])
    return errors


def validate_definitions(vhosts, users, policies, protected_vhosts=(), extra_policy_keys=(), known_vhosts=None, labels=None):
    """Validate the desired definitions; return a list of error messages (empty when all is well).

    ``known_vhosts`` are vhosts that permissions and policies may name besides the declared ones
    (vhosts that exist and stay, such as the protected default vhost ``/``). ``labels`` renames the
    three collections in messages (the role passes its variable names).
    """
    labels = dict({"vhosts": "vhosts", "users": "users", "policies": "policies"}, **(labels or {}))
    errors = []
    present_vhosts = set()
    absent_vhosts = set()
    seen = set()
    for label, _raw, item in _entries(vhosts, labels["vhosts"], normalize_vhost, "at least 'name'", errors):
        if item["name"] in seen:
            errors.append("%s: vhost '%s' is declared twice" % (label, item["name"]))
        seen.add(item["name"])
        errors.extend(_state_errors(label, item))
        if item["default_queue_type"] is not None and item["default_queue_type"] not in QUEUE_TYPES:
            errors.append(
                "%s: default_queue_type must be one of %s, got %r" % (label, ", ".join(QUEUE_TYPES), item["default_queue_type"])
            )
        (absent_vhosts if item["state"] == "absent" else present_vhosts).add(item["name"])

    if known_vhosts is None:
        known_vhosts = set(protected_vhosts)
    usable_vhosts = (present_vhosts | set(known_vhosts)) - absent_vhosts

    def check_vhost(label, what, vhost):
        if vhost in absent_vhosts:
            errors.append("%s: %s names vhost '%s', which is declared with state absent" % (label, what, vhost))
        elif vhost not in usable_vhosts:
            errors.append(
                "%s: %s names vhost '%s', which is not declared in %s (declared: %s)"
                % (label, what, vhost, labels["vhosts"], ", ".join(sorted(usable_vhosts)) or "none")
            )

    seen = set()
    for label, raw, item in _entries(users, labels["users"], normalize_user, "at least 'name'", errors):
        if item["name"] in seen:
            errors.append("%s: user '%s' is declared twice" % (label, item["name"]))
        seen.add(item["name"])
        errors.extend(_state_errors(label, item))
        if item["password"] is not None and not isinstance(item["password"], str):
            errors.append("%s: password must be a string" % label)
        for field in ("permissions", "topic_permissions"):
            entries = raw.get(field) or []
            if not isinstance(entries, list):
                errors.append("%s: %s must be a list" % (label, field))
                continue
            seen_keys = set()
            for pindex, perm in enumerate(entries):
                plabel = "%s %s[%d]" % (label, field, pindex)
                if not isinstance(perm, dict):
                    errors.append("%s must be a mapping with 'vhost' and regular expressions, got %r" % (plabel, perm))
                    continue
                norm = normalize_permission(perm) if field == "permissions" else normalize_topic_permission(perm)
                if item["state"] == "present":
                    check_vhost(plabel, "the permission", norm["vhost"])
                key = (norm["vhost"], norm.get("exchange"))
                if key in seen_keys:
                    errors.append("%s: a second entry for vhost '%s'%s" % (
                        plabel, norm["vhost"], "" if field == "permissions" else " and exchange '%s'" % norm["exchange"]))
                seen_keys.add(key)
                for regex_field in ("configure", "write", "read"):
                    if regex_field not in norm:
                        continue
                    problem = _regex_error(norm[regex_field])
                    if problem:
                        errors.append("%s: %s %s" % (plabel, regex_field, problem))

    seen = set()
    for label, _raw, item in _entries(policies, labels["policies"], normalize_policy, "'name', 'pattern' and 'definition'", errors):
        label = "%s (vhost '%s')" % (label, item["vhost"])
        key = (item["vhost"], item["name"])
        if key in seen:
            errors.append("%s: policy '%s' is declared twice on vhost '%s'" % (label, item["name"], item["vhost"]))
        seen.add(key)
        errors.extend(_state_errors(label, item))
        if item["state"] == "absent":
            continue
        check_vhost(label, "the policy", item["vhost"])
        if item["pattern"] is None:
            errors.append("%s: 'pattern' is required (a regular expression of queue/exchange names)" % label)
        else:
            problem = _regex_error(item["pattern"])
            if problem:
                errors.append("%s: pattern %s" % (label, problem))
        if item["apply_to"] not in APPLY_TO:
            errors.append("%s: apply_to must be one of %s, got %r" % (label, ", ".join(APPLY_TO), item["apply_to"]))
        if not _non_negative_int(item["priority"]):
            errors.append("%s: priority must be a non-negative integer, got %r" % (label, item["priority"]))
        for problem in validate_policy_definition(item["definition"], extra_policy_keys):
            errors.append("%s: %s" % (label, problem))
    return errors


# --------------------------------------------------------------------------------------------------
# Current state from ``rabbitmqctl export_definitions``
# --------------------------------------------------------------------------------------------------


def parse_version(text):
    numbers = re.findall(r"\d+", text or "")
    return tuple(int(n) for n in numbers[:3]) if numbers else (0, 0, 0)


def parse_export(data):
    """Turn the JSON of ``rabbitmqctl export_definitions`` into comparable dictionaries."""
    if isinstance(data, str):
        data = json.loads(data)
    state = {
        "version": parse_version(data.get("rabbitmq_version") or data.get("rabbit_version")),
        "vhosts": {},
        "users": {},
        "permissions": {},
        "topic_permissions": {},
        "policies": {},
        "queues": {},
    }
    for vhost in data.get("vhosts", []):
        meta = dict(vhost.get("metadata") or {})
        for key in ("description", "tags", "default_queue_type"):
            if key not in meta and key in vhost:
                meta[key] = vhost[key]
        dqt = meta.get("default_queue_type")
        state["vhosts"][vhost["name"]] = {
            "description": meta.get("description") or "",
            "tags": _tags(meta.get("tags")),
            "default_queue_type": None if dqt in (None, "undefined", "") else dqt,
        }
    for user in data.get("users", []):
        state["users"][user["name"]] = {
            "password_hash": user.get("password_hash") or "",
            "hashing_algorithm": user.get("hashing_algorithm") or "rabbit_password_hashing_sha256",
            "tags": _tags(user.get("tags")),
        }
    for perm in data.get("permissions", []):
        state["permissions"][(perm["user"], perm["vhost"])] = {
            "configure": perm.get("configure", ""),
            "write": perm.get("write", ""),
            "read": perm.get("read", ""),
        }
    for perm in data.get("topic_permissions", []):
        state["topic_permissions"][(perm["user"], perm["vhost"], perm["exchange"])] = {
            "write": perm.get("write", ""),
            "read": perm.get("read", ""),
        }
    for policy in data.get("policies", []):
        definition = policy.get("definition") or {}
        if isinstance(definition, str):
            definition = json.loads(definition)
        state["policies"][(policy["vhost"], policy["name"])] = {
            "pattern": policy.get("pattern"),
            "apply_to": policy.get("apply-to") or policy.get("apply_to") or "all",
            "priority": int(policy.get("priority") or 0),
            "definition": definition,
        }
    for queue in data.get("queues", []):
        state["queues"][queue["vhost"]] = state["queues"].get(queue["vhost"], 0) + 1
    return state


def password_matches(password, password_hash, algorithm="rabbit_password_hashing_sha256"):
    """True when ``password`` is the one RabbitMQ stored as ``password_hash``.

    RabbitMQ stores base64(salt + H(salt + password)) with a 4-byte salt, so the check needs no call to
    the broker and no password on a command line.
    """
    if not password_hash:
        return password in (None, "")
    hasher = HASHING_ALGORITHMS.get(algorithm)
    if hasher is None:
        return False
    try:
        raw = base64.b64decode(password_hash)
    except (ValueError, TypeError):
        return False
    salt, digest = raw[:4], raw[4:]
    return hasher(salt + (password or "").encode("utf-8")).digest() == digest


# --------------------------------------------------------------------------------------------------
# Planning: desired vs current -> differences and ordered commands
# --------------------------------------------------------------------------------------------------


class Command:
    """One ``rabbitmqctl`` call: arguments, optional secret on standard input, a sentence for people."""

    def __init__(self, argv, action, stdin=None, kind="rabbitmqctl"):
        self.argv = list(argv)
        self.action = action
        self.stdin = stdin
        self.kind = kind

    def __repr__(self):
        return "Command(%r)" % (self.argv,)

    def __eq__(self, other):
        return isinstance(other, Command) and (self.argv, self.stdin, self.kind) == (other.argv, other.stdin, other.kind)

    def __hash__(self):
        return hash(tuple(self.argv))


def erlang_binary(text):
    """Render ``text`` as an Erlang UTF-8 binary literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '<<"%s"/utf8>>' % escaped


def vhost_metadata_eval(name, description, default_queue_type):
    """Erlang expression that updates a vhost's metadata on RabbitMQ 3.10 (no update_vhost_metadata)."""
    updates = []
    if description is not None:
        updates.append("description => %s" % erlang_binary(description))
    if default_queue_type is not None:
        updates.append("default_queue_type => %s" % erlang_binary(default_queue_type))
    return (
        "rabbit_misc:execute_mnesia_transaction(fun() -> rabbit_vhost:update_metadata(%s, "
        "fun(M) -> M#{%s} end) end), ok." % (erlang_binary(name), ", ".join(updates))
    )


def vhost_tags_eval(name, tags):
    return "rabbit_vhost:update_tags(%s, [%s], %s), ok." % (
        erlang_binary(name),
        ", ".join(erlang_binary(t) for t in tags),
        erlang_binary("ironclad.infra"),
    )


class Planner:
    """Compare desired definitions with the current state and plan the commands that converge them."""

    def __init__(self, current, vhosts, users, policies, protected_users=(), protected_vhosts=(DEFAULT_VHOST,),
                 remove_undeclared=REMOVABLE_KINDS, delete_vhosts_with_queues=False, extra_policy_keys=(),
                 has_update_vhost_metadata=None):
        self.current = current
        self.vhosts = [normalize_vhost(v) for v in vhosts or []]
        self.users = [normalize_user(u) for u in users or []]
        self.policies = [normalize_policy(p) for p in policies or []]
        self.protected_users = set(protected_users or [])
        self.protected_vhosts = set(protected_vhosts or [])
        self.remove_undeclared = set(remove_undeclared or [])
        self.delete_vhosts_with_queues = delete_vhosts_with_queues
        self.extra_policy_keys = tuple(extra_policy_keys or ())
        version = current.get("version") or (0, 0, 0)
        if has_update_vhost_metadata is None:
            has_update_vhost_metadata = version >= (3, 11)
        self.has_update_vhost_metadata = has_update_vhost_metadata
        self.tracker = DifferenceTracker()
        self.commands = []

    # -- helpers ----------------------------------------------------------------------------------

    def _add(self, key, before, after, command):
        self.tracker.add(key, before, after, action=command.action)
        self.commands.append(command)

    def _known_vhosts(self):
        known = set(self.protected_vhosts) & set(self.current["vhosts"])
        if "vhosts" not in self.remove_undeclared:
            known |= set(self.current["vhosts"])
        return known

    def validate(self):
        """Validate against the current state too (version-dependent values, vhosts that exist)."""
        errors = validate_definitions(
            self.vhosts, self.users, self.policies, protected_vhosts=self.protected_vhosts,
            extra_policy_keys=self.extra_policy_keys, known_vhosts=self._known_vhosts(),
        )
        version = self.current.get("version") or (0, 0, 0)
        for policy in self.policies:
            since = APPLY_TO_SINCE.get(policy["apply_to"])
            if policy["state"] == "present" and since and version < since:
                errors.append(
                    "policy '%s' (vhost '%s'): apply_to '%s' needs RabbitMQ %s or later, this cluster runs %s; use 'queues'"
                    % (policy["name"], policy["vhost"], policy["apply_to"], ".".join(map(str, since)), ".".join(map(str, version)))
                )
        return errors

    def _to_delete(self, kind, declared_items, protected):
        """The names of the current ``kind`` (``"vhosts"`` or ``"users"``) to delete, sorted.

        A name is deleted when it is declared with state absent, or when it is not declared at all,
        ``kind`` is in ``remove_undeclared`` and the name is not in ``protected``.
        """
        declared = {item["name"]: item for item in declared_items}
        doomed = []
        for name in sorted(self.current[kind]):
            item = declared.get(name)
            if item is not None:
                if item["state"] == "absent":
                    doomed.append(name)
            elif kind in self.remove_undeclared and name not in protected:
                doomed.append(name)
        return doomed

    # -- the plan ---------------------------------------------------------------------------------

    def plan(self):
        errors = self.validate()
        if errors:
            raise DefinitionsError("Invalid RabbitMQ definitions, nothing was changed:\n- " + "\n- ".join(errors))
        doomed_vhosts = self._to_delete("vhosts", self.vhosts, self.protected_vhosts)
        busy = [v for v in doomed_vhosts if self.current["queues"].get(v)]
        if busy and not self.delete_vhosts_with_queues:
            raise DefinitionsError(
                "Refusing to delete vhost(s) that still hold queues: %s. Nothing was changed. Declare them, "
                "or set delete_vhosts_with_queues=true (role: rabbitmq_definitions_delete_vhosts_with_queues) "
                "to delete them with their queues and messages."
                % ", ".join("'%s' (%d queues)" % (v, self.current["queues"][v]) for v in busy)
            )
        doomed_users = self._to_delete("users", self.users, self.protected_users)
        self._plan_vhosts()
        self._plan_users()
        self._plan_permissions(doomed_vhosts, doomed_users)
        self._plan_policies(doomed_vhosts)
        for name in doomed_users:
            self._add("users.%s" % name, "present", "absent", Command(["delete_user", name], "delete user '%s'" % name))
        for name in doomed_vhosts:
            self._add("vhosts.%s" % name, "present", "absent", Command(["delete_vhost", name], "delete vhost '%s'" % name))
        return self.commands

    def _plan_vhosts(self):
        for item in self.vhosts:
            name = item["name"]
            have = self.current["vhosts"].get(name)
            if item["state"] == "absent":
                continue
            if have is None:
                argv = ["add_vhost", name]
                if item["description"] is not None:
                    argv += ["--description", item["description"]]
                if item["tags"]:
                    argv += ["--tags", ",".join(item["tags"])]
                if item["default_queue_type"]:
                    argv += ["--default-queue-type", item["default_queue_type"]]
                after = {k: item[k] for k in ("description", "tags", "default_queue_type") if item[k] is not None}
                self._add("vhosts.%s" % name, "absent", after, Command(argv, "create vhost '%s'" % name))
                continue
            changes = {}
            for field in ("description", "tags", "default_queue_type"):
                if item[field] is not None and item[field] != have[field]:
                    changes[field] = (have[field], item[field])
            if not changes:
                continue
            for field, (before, after) in sorted(changes.items()):
                self.tracker.add("vhosts.%s.%s" % (name, field), before, after)
            action = "update vhost '%s' (%s)" % (name, ", ".join(sorted(changes)))
            if self.has_update_vhost_metadata:
                argv = ["update_vhost_metadata", name]
                if "description" in changes:
                    argv += ["--description", item["description"]]
                if "tags" in changes:
                    argv += ["--tags", ",".join(item["tags"])]
                if "default_queue_type" in changes:
                    argv += ["--default-queue-type", item["default_queue_type"]]
                self.tracker.add_action(action)
                self.commands.append(Command(argv, action))
                continue
            # RabbitMQ 3.10 has no update_vhost_metadata: use its internal functions.
            self.tracker.add_action(action)
            if "description" in changes or "default_queue_type" in changes:
                self.commands.append(Command(
                    ["eval", vhost_metadata_eval(
                        name,
                        item["description"] if "description" in changes else None,
                        item["default_queue_type"] if "default_queue_type" in changes else None,
                    )], action))
            if "tags" in changes:
                self.commands.append(Command(["eval", vhost_tags_eval(name, item["tags"])], action))

    def _plan_users(self):
        for item in self.users:
            name = item["name"]
            if item["state"] == "absent":
                continue
            have = self.current["users"].get(name)
            if have is None:
                self.tracker.add("users.%s" % name, "absent", {"tags": item["tags"], "password": MASKED},
                                 action="create user '%s'" % name)
                self.commands.append(Command(["add_user", name], "create user '%s'" % name, stdin=item["password"] or ""))
                if not item["password"]:
                    self.commands.append(Command(["clear_password", name], "create user '%s'" % name))
                if item["tags"]:
                    self.commands.append(Command(["set_user_tags", name] + item["tags"], "create user '%s'" % name))
                continue
            if item["password"] is not None and not password_matches(item["password"], have["password_hash"], have["hashing_algorithm"]):
                self._add("users.%s.password" % name, MASKED, MASKED + " (new)",
                          Command(["change_password", name], "change the password of user '%s'" % name, stdin=item["password"]))
            if item["tags"] != have["tags"]:
                self._add("users.%s.tags" % name, have["tags"], item["tags"],
                          Command(["set_user_tags", name] + item["tags"], "set the tags of user '%s' to %s" % (name, item["tags"] or "none")))

    def _plan_permissions(self, doomed_vhosts, doomed_users):
        managed_users = {u["name"]: u for u in self.users if u["state"] == "present"}
        remove = "permissions" in self.remove_undeclared
        remove_topic = "topic_permissions" in self.remove_undeclared
        for name, item in sorted(managed_users.items()):
            wanted = {p["vhost"]: p for p in item["permissions"]}
            for vhost, perm in sorted(wanted.items()):
                have = self.current["permissions"].get((name, vhost))
                after = {k: perm[k] for k in ("configure", "write", "read")}
                if have != after:
                    self._add("permissions.%s@%s" % (name, vhost), have, after,
                              Command(["set_permissions", "-p", vhost, name, perm["configure"], perm["write"], perm["read"]],
                                      "grant user '%s' on vhost '%s' configure=%s write=%s read=%s"
                                      % (name, vhost, perm["configure"], perm["write"], perm["read"])))
            wanted_topic = {(p["vhost"], p["exchange"]): p for p in item["topic_permissions"]}
            for (vhost, exchange), perm in sorted(wanted_topic.items()):
                have = self.current["topic_permissions"].get((name, vhost, exchange))
                after = {"write": perm["write"], "read": perm["read"]}
                if have != after:
                    self._add("topic_permissions.%s@%s:%s" % (name, vhost, exchange), have, after,
                              Command(["set_topic_permissions", "-p", vhost, name, exchange, perm["write"], perm["read"]],
                                      "grant user '%s' topic permissions on vhost '%s' exchange '%s'" % (name, vhost, exchange)))
        # Declared users' permission lists are authoritative; undeclared users are not touched here
        # (they are deleted with their permissions, or kept as they are when protected).
        if remove:
            for (user, vhost), have in sorted(self.current["permissions"].items()):
                if user not in managed_users or user in doomed_users or vhost in doomed_vhosts:
                    continue
                if vhost not in {p["vhost"] for p in managed_users[user]["permissions"]}:
                    self._add("permissions.%s@%s" % (user, vhost), have, None,
                              Command(["clear_permissions", "-p", vhost, user],
                                      "revoke the permissions of user '%s' on vhost '%s'" % (user, vhost)))
        if remove_topic:
            for (user, vhost, exchange), have in sorted(self.current["topic_permissions"].items()):
                if user not in managed_users or user in doomed_users or vhost in doomed_vhosts:
                    continue
                if (vhost, exchange) not in {(p["vhost"], p["exchange"]) for p in managed_users[user]["topic_permissions"]}:
                    self._add("topic_permissions.%s@%s:%s" % (user, vhost, exchange), have, None,
                              Command(["clear_topic_permissions", "-p", vhost, user, exchange],
                                      "revoke the topic permissions of user '%s' on vhost '%s' exchange '%s'"
                                      % (user, vhost, exchange)))

    def _plan_policies(self, doomed_vhosts):
        declared = {}
        for item in self.policies:
            declared[(item["vhost"], item["name"])] = item
        for (vhost, name), item in sorted(declared.items()):
            have = self.current["policies"].get((vhost, name))
            if item["state"] == "absent":
                if have is not None and vhost not in doomed_vhosts:
                    self._add("policies.%s:%s" % (vhost, name), have, None,
                              Command(["clear_policy", "-p", vhost, name], "remove policy '%s' from vhost '%s'" % (name, vhost)))
                continue
            after = {k: item[k] for k in ("pattern", "apply_to", "priority", "definition")}
            if have != after:
                self._add("policies.%s:%s" % (vhost, name), have, after,
                          Command(["set_policy", "-p", vhost, "--priority", str(item["priority"]), "--apply-to", item["apply_to"],
                                   name, item["pattern"], json.dumps(item["definition"], sort_keys=True)],
                                  "%s policy '%s' on vhost '%s'" % ("update" if have else "set", name, vhost)))
        if "policies" not in self.remove_undeclared:
            return
        for (vhost, name), have in sorted(self.current["policies"].items()):
            if (vhost, name) in declared or vhost in doomed_vhosts:
                continue
            self._add("policies.%s:%s" % (vhost, name), have, None,
                      Command(["clear_policy", "-p", vhost, name], "remove undeclared policy '%s' from vhost '%s'" % (name, vhost)))
