# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declarative RabbitMQ definitions: the vocabulary (queue types, policy keys) and the validation.

Pure functions of data in, data out: the desired vhosts, users (with their permissions) and policies
are validated and normalised here; :mod:`.export` reads what ``rabbitmqctl export_definitions``
reports, :mod:`.planner` turns the differences into an ordered list of ``rabbitmqctl`` commands.
Nothing in these three runs a command; :mod:`.backend` (``DefinitionsBackend``) does that.

Used by the ``rabbitmq_definitions`` module and by the ``rabbitmq_definitions_errors`` filter, so that
the role rejects a malformed policy or a permission on an unknown vhost before anything changes.
"""

from __future__ import annotations

import re

__metaclass__ = type

DEFAULT_VHOST = "/"
QUEUE_TYPES = ("classic", "quorum", "stream")
APPLY_TO = ("all", "queues", "exchanges", "classic_queues", "quorum_queues", "streams")
# apply-to values that only exist since RabbitMQ 3.12.
APPLY_TO_SINCE = {"classic_queues": (3, 12), "quorum_queues": (3, 12), "streams": (3, 12)}
STATES = ("present", "absent")
REMOVABLE_KINDS = ("vhosts", "users", "permissions", "topic_permissions", "policies")
MASKED = "********"


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
