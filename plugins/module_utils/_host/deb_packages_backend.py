# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back end of ``ironclad.infra.deb_packages``: read dpkg's status file, run apt-get.

Uses of ``module``: ``params``, ``check_mode``, ``run_command`` and ``get_bin_path``. The decisions
are pure (:mod:`.deb_packages`: :func:`parse_status`, :func:`plan`); the status file reader and the
age of the package lists are replaceable for tests.
"""

from __future__ import annotations

import glob
import os
import time

from ansible_collections.ironclad.infra.plugins.module_utils._host.deb_packages import DebPackagesError, parse_status, plan, validate_names

__metaclass__ = type


STATUS_FILE = "/var/lib/dpkg/status"
LISTS_DIR = "/var/lib/apt/lists"


def lists_age(lists_dir=LISTS_DIR, now=None):
    """Seconds since the package lists were last refreshed (``None`` when there are none)."""
    newest = 0.0
    for path in glob.glob(os.path.join(lists_dir, "*_Packages*")) + glob.glob(os.path.join(lists_dir, "*Release")):
        try:
            newest = max(newest, os.stat(path).st_mtime)
        except OSError:
            continue
    if not newest:
        return None
    return (now or time.time()) - newest


class DebPackagesBackend:
    """``module`` needs ``params``, ``check_mode``, ``run_command`` and ``get_bin_path``."""

    def __init__(self, module, tracker, read=None, age=None):
        self.module = module
        self.tracker = tracker
        self.read = read or _read
        self.age = age or lists_age

    def _apt(self, args, what):
        apt_get = self.module.get_bin_path("apt-get", required=True)
        lock = self.module.params["lock_timeout"]
        command = [apt_get, "-q", "-y", "-o", "DPkg::Lock::Timeout=%d" % lock, *args]
        environ = {"DEBIAN_FRONTEND": "noninteractive", "NEEDRESTART_MODE": "l"}
        rc, out, err = self.module.run_command(command, environ_update=environ)
        if rc != 0:
            raise DebPackagesError("apt-get %s failed (rc %d): %s" % (what, rc, (err or out).strip()[-2000:]))
        return out

    def run(self):
        params = self.module.params
        present = list(params["present"])
        absent = list(params["absent"])
        validate_names(present, "present")
        validate_names(absent, "absent")
        to_install, to_purge = plan(parse_status(self.read(STATUS_FILE)), present, absent)
        updated = False
        if to_install:
            self.tracker.add("install", None, to_install, action="install %s" % " ".join(to_install))
        if to_purge:
            verb = "purge" if params["purge"] else "remove"
            self.tracker.add("purge", to_purge, None, action="%s %s" % (verb, " ".join(to_purge)))
        age = self.age()
        stale = age is None or age > params["cache_valid_time"]
        need_update = bool(to_install) and (params["update_cache"] or stale)
        if need_update:
            self.tracker.add_action("apt-get update")
        if not self.module.check_mode:
            if need_update:
                self._apt(["update"], "update")
                updated = True
            if to_install:
                options = ["-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
                if not params["install_recommends"]:
                    options.append("--no-install-recommends")
                self._apt(["install", *options, "--", *to_install], "install")
            if to_purge:
                self._apt(["purge" if params["purge"] else "remove", "--", *to_purge], "purge")
        return {
            "changed": self.tracker.changed,
            "installed": to_install,
            "purged": to_purge,
            "cache_updated": updated,
            "actions": self.tracker.actions,
        }


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""
