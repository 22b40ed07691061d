# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only compliance audit of a host against the controls of the hardening roles.

Used by the ``ironclad.infra.hardening_audit`` module. :class:`Auditor` evaluates every control
area with the same logic the modules of the ``os_hardening`` role use to apply it (sysctl parsing,
set-ID classification, mount parsing, PAM profiles) and the SSH evaluation of
``_ssh/sshd_audit``; it only reads files and runs read-only commands through a host object
(``Host`` of :mod:`.backend`), which unit tests replace with a fake. The checks of each area are
``check_<area>`` methods of :class:`.system_checks.SystemChecks` and
:class:`.service_checks.ServiceChecks`; the data they compare with is :mod:`.audit_defaults`.

Each control is ``{"id", "title", "area", "status", "reason"}`` with ``status`` one of ``pass``,
``fail`` or ``not_applicable`` (disabled area, container, a mount that does not exist ...).
The score is the share of passing controls among those that apply.
"""

from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._hardening.areas import AREAS
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.audit_defaults import DEFAULTS
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.controls import FAIL, NA, PASS, control, detect_container, installed_packages
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.service_checks import ServiceChecks
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.system_checks import SystemChecks

__metaclass__ = type


class Auditor(SystemChecks, ServiceChecks):
    """Evaluate the controls. ``params`` holds the expectations (see ``audit_defaults.DEFAULTS``)."""

    def __init__(self, host, params=None):
        self.host = host
        merged = dict(DEFAULTS)
        for key, value in (params or {}).items():
            if value is not None:
                merged[key] = value
        areas = dict(DEFAULTS["areas"])
        areas.update({k: bool(v) for k, v in (merged.get("areas") or {}).items() if v is not None})
        merged["areas"] = areas
        self.params = merged
        self._status = None
        self._dpkg = None
        setting = str(merged.get("container", "auto")).lower()
        if setting in ("true", "yes"):
            self.container = "container"
        elif setting in ("false", "no"):
            self.container = None
        else:
            self.container = detect_container(host)

    # -- helpers -------------------------------------------------------------------------------
    def packages(self):
        if self._dpkg is None:
            self._dpkg = installed_packages(self.host.read("/var/lib/dpkg/status"))
        return self._dpkg

    def unit_state(self, *units):
        """``{unit: (ActiveState, UnitFileState)}`` from one ``systemctl show``."""
        systemctl = self.host.which("systemctl")
        if not systemctl:
            return {u: ("unknown", "unknown") for u in units}
        _rc, out, _err = self.host.run([systemctl, "show", "--no-pager", "--property=Id,ActiveState,UnitFileState", "--", *units])
        blocks = (out or "").split("\n\n")
        result = {}
        for index, unit in enumerate(units[:len(blocks)]):
            values = dict(line.split("=", 1) for line in blocks[index].splitlines() if "=" in line)
            result[unit] = (values.get("ActiveState", "unknown"), values.get("UnitFileState", "unknown"))
        for unit in units:
            result.setdefault(unit, ("unknown", "unknown"))
        return result

    def _container_na(self, control_id, title, area, what):
        return control(control_id, title, area, NA, "%s container: %s" % (self.container, what))

    # -- run -----------------------------------------------------------------------------------

    def run(self):
        controls = []
        for area in AREAS:
            method = getattr(self, "check_" + area)
            if not self.params["areas"].get(area, True):
                reason = "area disabled (os_hardening_%s_enabled: false)" % area if area != "ssh" else "SSH evaluation disabled"
                controls.append(control("%s.%s" % ("ssh" if area == "ssh" else "os", area), "Area %s" % area, area, NA, reason))
                continue
            controls.extend(method())
        counts = {PASS: 0, FAIL: 0, NA: 0}
        for item in controls:
            counts[item["status"]] += 1
        applicable = counts[PASS] + counts[FAIL]
        score = round(100.0 * counts[PASS] / applicable, 1) if applicable else 100.0
        return {
            "controls": controls,
            "score": score,
            "summary": {"pass": counts[PASS], "fail": counts[FAIL], "not_applicable": counts[NA], "total": len(controls)},
            "failed_controls": [c["id"] for c in controls if c["status"] == FAIL],
            "container": self.container,
        }
