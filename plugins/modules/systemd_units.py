#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: systemd_units
short_description: Enable, start, stop or mask many systemd units in one call
version_added: 0.1.0
description:
  - Reads the state of every unit with one C(systemctl show) and runs only the C(systemctl) commands
    that are needed (one per verb for all units), instead of one C(systemd_service) task per unit.
  - A unit whose start conditions are not met on this host (for example C(ConditionVirtualization=!container)
    inside a container) is reported in RV(skipped), not as a failure.
  - The module's action plugin first runs the same C(systemctl show) through the shell; when every
    unit is already as declared (and O(daemon_reload) is false), the result is returned without
    starting Python on the host. Otherwise, or when anything is unclear, the module runs.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports the commands that would run.
  diff_mode:
    support: none
    description: Reports its actions in RV(actions) instead.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
options:
  units:
    description: The units. A bare name gets C(.service) appended.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Unit name, for example V(auditd) or V(dailyaidecheck.timer).
        type: str
        required: true
      enabled:
        description: Whether the unit starts at boot. Unset leaves it alone.
        type: bool
      state:
        description: V(started) or V(stopped). Unset leaves it alone.
        type: str
        choices: [started, stopped]
      masked:
        description: Whether the unit is masked. Unset leaves it alone.
        type: bool
      no_block:
        description: Start without waiting for the unit to finish (slow one-shot jobs).
        type: bool
        default: false
      missing_ok:
        description: A unit that does not exist is reported in RV(skipped) instead of failing.
        type: bool
        default: false
      restarted:
        description:
          - Restart the unit if it is running (its configuration changed). A unit that is not running is
            only started (with O(units[].state=started)).
        type: bool
        default: false
  daemon_reload:
    description: Run C(systemctl daemon-reload) first (after unit files changed).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Services of the hardening role
  ironclad.infra.systemd_units:
    daemon_reload: "{{ unit_files is changed }}"
    units:
      - {name: auditd, enabled: true, state: started}
      - {name: fail2ban, enabled: true, state: started}
      - {name: dailyaidecheck.timer, enabled: true, state: started}
      - {name: ironclad-aide-init, enabled: true, state: started, no_block: true}
"""

RETURN = r"""
units:
  description: State of each unit after the run.
  returned: always
  type: dict
  sample: {"auditd.service": {"active": "active", "enabled": "enabled"}}
skipped:
  description: Units left alone, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "chrony.service", "reason": "start conditions are not met on this host"}]
actions:
  description: What was (or would be) done.
  returned: always
  type: list
  elements: str
  sample: ["enable fail2ban.service", "start fail2ban.service"]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module, tracked
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import SYSTEMD_UNITS_ARGUMENT_SPEC
from ansible_collections.ironclad.infra.plugins.module_utils._host.systemd_units_backend import SystemdUnitsBackend, SystemdUnitsError


def main():
    run_module(SYSTEMD_UNITS_ARGUMENT_SPEC, tracked(SystemdUnitsBackend), {SystemdUnitsError: "%s"})


if __name__ == "__main__":
    main()
