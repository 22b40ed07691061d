# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back end of ``ironclad.infra.systemd_units``: one ``systemctl show``, then the planned actions.

Uses of ``module``: ``params``, ``check_mode``, ``run_command`` and ``get_bin_path``. The decisions
are pure (:mod:`.systemd_units`: :func:`parse_show`, :func:`plan_units`).
"""

from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._host.systemd_units import (
    SystemdUnitsError,
    action_commands,
    normalise_units,
    parse_show,
    plan_units,
    show_command,
    units_report,
)

__metaclass__ = type


class SystemdUnitsBackend:
    """Read all units with one ``systemctl show``, then run only the commands that are needed.

    ``module`` needs ``params`` (``units``, ``daemon_reload``), ``check_mode``, ``run_command`` and
    ``get_bin_path``.
    """

    def __init__(self, module, tracker):
        self.module = module
        self.tracker = tracker

    def _status(self, systemctl, names):
        rc, out, err = self.module.run_command(show_command(systemctl, names))
        if rc != 0:
            raise SystemdUnitsError("systemctl show failed (rc %d): %s" % (rc, err.strip()))
        return parse_show(out, names)

    def run(self):
        params = self.module.params
        units = normalise_units(params["units"])
        systemctl = self.module.get_bin_path("systemctl", required=True)
        if params.get("daemon_reload"):
            self.tracker.add_action("daemon-reload")
            if not self.module.check_mode:
                rc, _out, err = self.module.run_command([systemctl, "daemon-reload"])
                if rc != 0:
                    raise SystemdUnitsError("systemctl daemon-reload failed: %s" % err.strip())
        names = [u["name"] for u in units]
        status = self._status(systemctl, names) if names else {}
        actions, skipped, problems = plan_units(units, status)
        if problems and self.module.check_mode:
            # On a fresh host in check mode the packages that ship these units were not installed.
            skipped.extend({"name": name, "reason": "not installed (yet): nothing to check in check mode"} for name in problems)
            problems = []
        if problems:
            raise SystemdUnitsError(
                "these units do not exist on this host: %s (install the package that ships them, or set "
                "missing_ok: true)" % ", ".join(problems)
            )
        for verb, unit_names in actions.items():
            for name in unit_names:
                self.tracker.add("%s.%s" % (name, verb.replace("_no_block", "")), None, verb,
                                 action="%s %s" % (verb.replace("_no_block", " (no block)").replace("_", " "), name))
        failures = []
        if not self.module.check_mode:
            for command in action_commands(systemctl, actions):
                rc, _out, err = self.module.run_command(command)
                if rc != 0:
                    failures.append("%s: %s" % (" ".join(command[1:]), err.strip()))
        if failures:
            raise SystemdUnitsError("systemctl failed: %s" % " | ".join(failures))
        after = status
        if not self.module.check_mode and actions:
            after = self._status(systemctl, names)
        return {
            "changed": self.tracker.changed,
            "actions": self.tracker.actions,
            "skipped": skipped,
            "units": units_report(names, after),
        }
