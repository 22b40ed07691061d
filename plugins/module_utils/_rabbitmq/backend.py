# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The side-effect layer of the ``rabbitmq_definitions`` module: run ``rabbitmqctl``.

The backend uses these members of ``module``: ``params``, ``check_mode``, ``_diff``, ``run_command``
and ``get_bin_path``; errors are raised as ``DefinitionsError`` for the module to report, so a unit test
can pass a tiny fake module.
"""

from __future__ import annotations

import os

from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.definitions import DefinitionsError
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.export import parse_export
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.planner import Planner

__metaclass__ = type


class RabbitmqCtl:
    """Run ``rabbitmqctl`` on the local node; secrets go to standard input, never on a command line."""

    def __init__(self, module, path="rabbitmqctl", node=None):
        self.module = module
        self.path = path
        self.node = node
        self._binary = None

    def _argv(self, argv):
        if self._binary is None:
            found = self.module.get_bin_path(self.path) if "/" not in self.path else (self.path if os.access(self.path, os.X_OK) else None)
            if not found:
                raise DefinitionsError(
                    "rabbitmqctl not found (rabbitmqctl_path=%s): install rabbitmq-server on this host or set "
                    "rabbitmqctl_path" % self.path
                )
            self._binary = found
        base = [self._binary, "-q"]
        if self.node:
            base += ["-n", self.node]
        return base + list(argv)

    def run(self, argv, stdin=None):
        rc, out, err = self.module.run_command(self._argv(argv), data=stdin, check_rc=False)
        return rc, out, err

    def export_definitions(self):
        rc, out, err = self.run(["export_definitions", "-", "--format", "json"])
        if rc != 0:
            raise DefinitionsError(
                "rabbitmqctl export_definitions failed (rc=%s): %s. Is the node running and is this host's "
                "Erlang cookie the cluster's?" % (rc, (err or out).strip())
            )
        # Some versions print an informational line before the JSON document.
        start = out.find("{")
        if start < 0:
            raise DefinitionsError("rabbitmqctl export_definitions printed no JSON: %s" % out.strip()[:500])
        return out[start:]

    def has_command(self, name):
        rc, _out, _err = self.run(["help", name])
        return rc == 0


class DefinitionsBackend:
    """read existing -> compare -> apply -> results."""

    def __init__(self, module, ctl=None):
        self.module = module
        params = module.params
        self.ctl = ctl or RabbitmqCtl(module, path=params.get("rabbitmqctl_path") or "rabbitmqctl", node=params.get("node"))

    def _has_update_vhost_metadata(self, version):
        if version < (3, 11):
            return False
        if version >= (3, 13):
            return True
        return self.ctl.has_command("update_vhost_metadata")

    def run(self):
        params = self.module.params
        current = parse_export(self.ctl.export_definitions())
        planner = Planner(
            current,
            vhosts=params["vhosts"],
            users=params["users"],
            policies=params["policies"],
            protected_users=params["protected_users"],
            protected_vhosts=params["protected_vhosts"],
            remove_undeclared=params["remove_undeclared"],
            delete_vhosts_with_queues=params.get("delete_vhosts_with_queues"),
            extra_policy_keys=params["extra_policy_keys"],
            has_update_vhost_metadata=self._has_update_vhost_metadata(current["version"]),
        )
        commands = planner.plan()
        done = []
        if not self.module.check_mode:
            for command in commands:
                rc, out, err = self.ctl.run(command.argv, stdin=command.stdin)
                if rc != 0:
                    raise DefinitionsError(
                        "Could not %s: rabbitmqctl %s failed (rc=%s): %s. Already done: %s"
                        % (command.action, command.argv[0], rc, (err or out).strip(), "; ".join(done) or "nothing")
                    )
                if not done or done[-1] != command.action:
                    done.append(command.action)
        tracker = planner.tracker
        result = {
            "changed": tracker.changed,
            "actions": tracker.actions,
            "rabbitmq_version": ".".join(str(n) for n in current["version"]),
        }
        if getattr(self.module, "_diff", False):
            result["diff"] = tracker.diff(before_header="rabbitmq definitions (before)", after_header="rabbitmq definitions (after)")
        return result
