# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning: desired vs current definitions -> differences and ordered ``rabbitmqctl`` commands (pure).

:class:`Planner` records every difference once in a ``DifferenceTracker`` and derives the commands
(each a :class:`Command` with its secret on standard input) that :mod:`.backend` runs.
"""

from __future__ import annotations

import json

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.definitions import (
    APPLY_TO_SINCE,
    DEFAULT_VHOST,
    MASKED,
    REMOVABLE_KINDS,
    DefinitionsError,
    normalize_policy,
    normalize_user,
    normalize_vhost,
    validate_definitions,
)
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.export import password_matches

__metaclass__ = type


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
