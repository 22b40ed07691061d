# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state of many systemd units from one ``systemctl show`` call, and the actions to fix it.

Used by the ``ironclad.infra.systemd_units`` module and the ``ironclad.infra.hardening_audit``
module. :func:`parse_show` and :func:`plan_units` are pure; the module runs ``systemctl``.
"""

from __future__ import annotations

__metaclass__ = type

import shlex

SHOW_PROPERTIES = ["Id", "LoadState", "ActiveState", "SubState", "UnitFileState", "ConditionResult", "ConditionTimestampMonotonic"]

ENABLED_STATES = {"enabled", "enabled-runtime", "static", "alias", "indirect", "generated"}


class SystemdUnitsError(ValueError):
    """Bad input; the message names the entry and says how to fix it."""


def show_command(systemctl, names):
    return [systemctl, "show", "--no-pager", "--property=" + ",".join(SHOW_PROPERTIES), "--", *names]


def parse_show(text, names):
    """Parse ``systemctl show`` output (blocks separated by blank lines, in the order asked)."""
    blocks = []
    current = {}
    for line in (text or "").splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, _sep, value = line.partition("=")
        current[key.strip()] = value.strip()
    if current:
        blocks.append(current)
    return {name: blocks[index] for index, name in enumerate(names[:len(blocks)])}


def normalise_units(units):
    result = []
    seen = set()
    for index, entry in enumerate(units or []):
        where = "units[%d]" % index
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or not entry.get("name"):
            raise SystemdUnitsError("%s must be a unit name or a dictionary with 'name'" % where)
        name = str(entry["name"])
        if "." not in name:
            name += ".service"
        if name in seen:
            raise SystemdUnitsError("%s: unit %s is listed twice" % (where, name))
        seen.add(name)
        state = entry.get("state")
        if state not in (None, "started", "stopped"):
            raise SystemdUnitsError("%s (%s): state must be started or stopped, got %r" % (where, name, state))
        enabled = entry.get("enabled")
        masked = entry.get("masked")
        if masked and (enabled or state == "started"):
            raise SystemdUnitsError("%s (%s): a masked unit cannot be enabled or started" % (where, name))
        result.append({
            "name": name,
            "enabled": enabled,
            "state": state,
            "masked": masked,
            "no_block": bool(entry.get("no_block", False)),
            "restarted": bool(entry.get("restarted", False)),
            "missing_ok": bool(entry.get("missing_ok", False)),
        })
    return result


def plan_units(units, status):
    """Decide what to do; return ``(actions, skipped, problems)``.

    ``actions`` maps a verb (``unmask``, ``mask``, ``enable``, ``disable``, ``start``, ``stop``,
    ``start_no_block``) to unit names; ``skipped`` lists ``{"name", "reason"}`` (missing units with
    ``missing_ok``, units whose start conditions are not met on this host); ``problems`` lists units
    that do not exist.
    """
    actions = {"unmask": [], "mask": [], "enable": [], "disable": [], "start": [], "start_no_block": [], "stop": [], "restart": []}
    skipped = []
    problems = []
    for unit in units:
        name = unit["name"]
        info = status.get(name, {})
        load = info.get("LoadState", "not-found")
        file_state = info.get("UnitFileState", "")
        active = info.get("ActiveState", "inactive")
        if load == "not-found" and not unit["masked"]:
            if unit["missing_ok"] or (unit["enabled"] is False and unit["state"] in (None, "stopped")):
                skipped.append({"name": name, "reason": "unit is not installed"})
            else:
                problems.append(name)
            continue
        if unit["masked"] is True and file_state != "masked" and load != "masked":
            actions["mask"].append(name)
        if unit["masked"] is False and (file_state == "masked" or load == "masked"):
            actions["unmask"].append(name)
        if unit["enabled"] is True and file_state not in ENABLED_STATES:
            actions["enable"].append(name)
        if unit["enabled"] is False and file_state in ("enabled", "enabled-runtime"):
            actions["disable"].append(name)
        if unit["state"] == "started" and active not in ("active", "activating", "reloading"):
            # ConditionResult is "no" for a unit that never ran too; only a timestamp says it was evaluated.
            evaluated = info.get("ConditionTimestampMonotonic", "0") not in ("", "0")
            if evaluated and info.get("ConditionResult") == "no" and active == "inactive":
                skipped.append({"name": name, "reason": "start conditions are not met on this host (see systemctl status %s)" % name})
            elif unit["no_block"]:
                actions["start_no_block"].append(name)
            else:
                actions["start"].append(name)
        if unit["state"] == "stopped" and active in ("active", "activating", "reloading"):
            actions["stop"].append(name)
        if unit["restarted"] and unit["state"] != "stopped" and active in ("active", "reloading"):
            actions["restart"].append(name)
    return {k: v for k, v in actions.items() if v}, skipped, problems


def units_report(names, status):
    """The ``units`` return value: active and unit-file state of every unit."""
    return {
        name: {"active": status.get(name, {}).get("ActiveState"), "enabled": status.get(name, {}).get("UnitFileState")}
        for name in names
    }


def probe_command(params):
    """The module's ``systemctl show`` as one shell command (shortcut probe); None when it must run."""
    units = normalise_units(params["units"])
    if params["daemon_reload"] or not units:
        return None
    return " ".join(shlex.quote(word) for word in show_command("systemctl", [u["name"] for u in units]))


def unchanged_result(params, stdout):
    """The module's no-change result when the probed states need no action and every unit exists."""
    units = normalise_units(params["units"])
    names = [u["name"] for u in units]
    status = parse_show(stdout, names)
    if len(status) != len(names) or any(status[name].get("Id") != name for name in names):
        return None  # not the answer the module would read (an alias, a short output): let it decide
    actions, skipped, problems = plan_units(units, status)
    if actions or problems:
        return None
    return {"changed": False, "actions": [], "skipped": skipped, "units": units_report(names, status)}


def action_commands(systemctl, actions):
    """Turn :func:`plan_units` actions into ``systemctl`` command lines, in a safe order."""
    commands = []
    for verb in ("unmask", "stop", "disable", "mask", "enable"):
        if actions.get(verb):
            commands.append([systemctl, verb, "--"] + actions[verb])
    if actions.get("start"):
        commands.append([systemctl, "start", "--"] + actions["start"])
    if actions.get("restart"):
        commands.append([systemctl, "restart", "--"] + actions["restart"])
    if actions.get("start_no_block"):
        commands.append([systemctl, "start", "--no-block", "--"] + actions["start_no_block"])
    return commands
