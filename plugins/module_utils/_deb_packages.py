# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install and purge Debian packages in one step, deciding from dpkg's status file alone.

Used by the ``ironclad.infra.deb_packages`` module. When every wanted package is installed and no
unwanted one is, the module reads one file and runs nothing (no apt cache is loaded), which is what a
run that changes nothing needs. Otherwise it runs ``apt-get update`` (only when the package lists are
older than ``cache_valid_time`` or an update is forced), one ``apt-get install`` and one
``apt-get purge``.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import time

__metaclass__ = type

STATUS_FILE = "/var/lib/dpkg/status"
ARGUMENT_SPEC = dict(
    present=dict(type="list", elements="str", default=[]),
    absent=dict(type="list", elements="str", default=[]),
    purge=dict(type="bool", default=True),
    install_recommends=dict(type="bool", default=False),
    update_cache=dict(type="bool", default=False),
    cache_valid_time=dict(type="int", default=3600),
    lock_timeout=dict(type="int", default=300),
)
# dpkg-query prints the named packages' stanzas in the status file's own format, so parse_status reads
# both; unknown names are left out (not installed) and make dpkg-query exit 1, hence the ``true``.
PROBE_FORMAT = "Package: ${Package}\\nStatus: ${Status}\\n\\n"
LISTS_DIR = "/var/lib/apt/lists"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.\-]+(:[a-z0-9]+)?$")


class DebPackagesError(ValueError):
    """Bad input or a failed apt-get run; the message says what to do."""


def parse_status(text):
    """Return ``{package: state}`` from dpkg's status file (``installed``, ``config-files``, ...)."""
    states = {}
    name = None
    for line in (text or "").splitlines():
        if line.startswith("Package:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("Status:") and name:
            words = line.split(":", 1)[1].split()
            if words:
                states[name] = words[-1]
        elif not line.strip():
            name = None
    return states


def validate_names(names, option):
    bad = [n for n in names if not isinstance(n, str) or not NAME_RE.match(n)]
    if bad:
        verb = "is" if len(bad) == 1 else "are"
        raise DebPackagesError("%s: %s %s not a Debian package name" % (option, ", ".join(repr(b) for b in bad), verb))


def plan(states, present, absent):
    """Return ``(to_install, to_purge)``; ``config-files`` leftovers of unwanted packages are purged too."""
    overlap = sorted(set(present) & set(absent))
    if overlap:
        raise DebPackagesError("packages both wanted and unwanted: %s" % ", ".join(overlap))
    base = {}
    for name, state in states.items():
        base[name.split(":")[0]] = state
    to_install = [n for n in present if base.get(n.split(":")[0]) != "installed"]
    leftovers = ("installed", "config-files", "half-installed", "half-configured", "unpacked")
    to_purge = [n for n in absent if base.get(n.split(":")[0]) in leftovers]
    return sorted(dict.fromkeys(to_install)), sorted(dict.fromkeys(to_purge))


def probe_command(params):
    """A shell command printing the status stanzas of the packages named in params (shortcut probe)."""
    names = list(params["present"]) + list(params["absent"])
    validate_names(names, "present/absent")
    if params["update_cache"] or not names:
        return None
    quoted = " ".join(shlex.quote(n) for n in names)
    return "dpkg-query -W -f=%s -- %s 2>/dev/null; true" % (shlex.quote(PROBE_FORMAT), quoted)


def unchanged_result(params, stdout):
    """The module's no-change result when the probed status needs no install and no purge, else None."""
    to_install, to_purge = plan(parse_status(stdout), list(params["present"]), list(params["absent"]))
    if to_install or to_purge:
        return None
    return {"changed": False, "installed": [], "purged": [], "cache_updated": False, "actions": []}


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


class DebPackages:
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
