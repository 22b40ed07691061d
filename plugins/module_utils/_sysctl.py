# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel parameters: one ``sysctl.d`` file plus the running values, in one pass.

Used by the ``ironclad.infra.sysctl_settings`` module and the ``ironclad.infra.hardening_audit``
module. Pure functions render and parse ``sysctl.d`` text and compare values; :class:`ProcSys` is
the thin layer that reads and writes ``/proc/sys``. In a container ``/proc/sys`` is mounted
read-only (and ``kernel.*`` belongs to the host anyway): such keys are reported as skipped with the
reason, never as a failure.
"""

from __future__ import annotations

import errno
import os
import re

from ansible_collections.ironclad.infra.plugins.module_utils._config_files import LocalFilesystem

__metaclass__ = type

KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/:]*$")


class SysctlError(ValueError):
    """Bad input; the message names the key and says how to fix it."""


def render_value(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value).strip()


def normalise_value(value):
    """Compare values the way the kernel prints them: tabs and repeated blanks are one space."""
    return " ".join(render_value(value).split())


def validate_settings(settings):
    """Return ``{key: text value}``; raise :class:`SysctlError` naming every bad key."""
    if not isinstance(settings, dict):
        raise SysctlError("settings must be a dictionary of sysctl key: value")
    problems = []
    result = {}
    for key, value in settings.items():
        key = str(key).strip()
        if not KEY_RE.match(key) or ".." in key:
            problems.append("%r is not a sysctl key (expected dotted names such as net.ipv4.ip_forward)" % key)
            continue
        if value is None or isinstance(value, dict) or normalise_value(value) == "":
            problems.append("%s has no value; give a number or a string" % key)
            continue
        if "\n" in render_value(value):
            problems.append("%s: the value must be a single line" % key)
            continue
        result[key] = render_value(value)
    if problems:
        raise SysctlError("invalid sysctl settings: %s" % "; ".join(problems))
    return result


def key_to_path(key, root="/proc/sys"):
    """``net.ipv4.ip_forward`` -> ``/proc/sys/net/ipv4/ip_forward``.

    As in sysctl(8): when the first separator is ``/``, dots are part of names (``net/ipv4/conf/eth0.10/rp_filter``).
    """
    slash = key.find("/")
    dot = key.find(".")
    if slash != -1 and (dot == -1 or slash < dot):
        rel = key
    else:
        rel = key.replace(".", "/")
    return os.path.join(root, rel)


def render_file(settings, header=None):
    lines = []
    for line in (header or "").splitlines():
        lines.append(("# " + line).rstrip() if line and not line.startswith("#") else line)
    for key in sorted(settings):
        lines.append("%s = %s" % (key, settings[key]))
    return "\n".join(lines) + "\n"


def parse_file(text):
    """Parse ``sysctl.d`` text into ``{key: value}`` (later lines win, like sysctl --system)."""
    result = {}
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            continue
        key = key.strip().lstrip("-")
        result[key] = value.strip()
    return result


class ProcSys:
    """Read and write running kernel parameters under ``root`` (``/proc/sys``)."""

    def __init__(self, root="/proc/sys"):
        self.root = root

    def read(self, key):
        """Return ``(value, reason)``: ``value`` is ``None`` when unreadable and ``reason`` says why."""
        path = key_to_path(key, self.root)
        try:
            with open(path) as handle:
                return handle.read().strip(), None
        except FileNotFoundError:
            return None, "not present on this kernel (%s missing)" % path
        except PermissionError:
            return None, "not readable (%s)" % path
        except OSError as exc:
            return None, "cannot be read: %s" % exc

    def writable(self, key):
        """Return ``(True, None)`` or ``(False, reason)`` for a key that cannot be set here."""
        path = key_to_path(key, self.root)
        if os.access(path, os.W_OK):
            return True, None
        try:
            statvfs = os.statvfs(path)
            read_only = bool(statvfs.f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        if read_only:
            return False, "read-only here (/proc/sys is mounted read-only, as in a container)"
        return False, "not writable by this user"

    def write(self, key, value):
        """Write a value; return ``None`` or the reason it could not be set (``EINVAL`` raises)."""
        path = key_to_path(key, self.root)
        try:
            with open(path, "w") as handle:
                handle.write(value)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                raise SysctlError("the kernel refused %s = %s (invalid value)" % (key, value)) from exc
            if exc.errno in (errno.EROFS, errno.EPERM, errno.EACCES):
                return "cannot be set here: %s" % os.strerror(exc.errno)
            raise
        return None


def plan_runtime(settings, procsys):
    """Compare wanted values with the running ones.

    Returns ``(to_apply, skipped, unchanged)``: ``to_apply`` maps keys to ``(current, wanted)``,
    ``skipped`` is a list of ``{"key", "reason", "current", "wanted"}`` for keys missing on this
    kernel or read-only here, ``unchanged`` the keys already right.
    """
    to_apply = {}
    skipped = []
    unchanged = []
    for key in sorted(settings):
        wanted = settings[key]
        current, reason = procsys.read(key)
        if current is None:
            skipped.append({"key": key, "reason": reason, "current": None, "wanted": wanted})
            continue
        if normalise_value(current) == normalise_value(wanted):
            unchanged.append(key)
            continue
        ok, reason = procsys.writable(key)
        if not ok:
            skipped.append({"key": key, "reason": reason, "current": current, "wanted": wanted})
            continue
        to_apply[key] = (current, wanted)
    return to_apply, skipped, unchanged


class SysctlSettings:
    """Write the ``sysctl.d`` file and set running values; ``run()`` returns the module result.

    ``module`` needs ``params`` (``settings``, ``path``, ``header``, ``apply``, ``unavailable``) and
    ``check_mode``.
    """

    def __init__(self, module, tracker, fs=None, procsys=None):
        self.module = module
        self.tracker = tracker
        self.fs = fs or LocalFilesystem()
        self.procsys = procsys or ProcSys()

    def run(self):
        params = self.module.params
        settings = validate_settings(params["settings"])
        path = params["path"]
        wanted_text = render_file(settings, params.get("header"))
        current_text = self.fs.read(path)
        if params["apply"]:
            to_apply, skipped, _unchanged = plan_runtime(settings, self.procsys)
        else:
            to_apply, skipped = {}, []
        if skipped and params.get("unavailable") == "fail":
            raise SysctlError(
                "some keys cannot be set on this host (unavailable=fail): %s"
                % "; ".join("%s: %s" % (s["key"], s["reason"]) for s in skipped)
            )
        diffs = []
        if current_text != wanted_text:
            self.tracker.add(path, current_text, wanted_text, action="write %s" % path)
            diffs.append({
                "before": current_text or "",
                "after": wanted_text,
                "before_header": path if current_text is not None else "%s (absent)" % path,
                "after_header": path,
            })
        for key, (current, wanted) in sorted(to_apply.items()):
            self.tracker.add("runtime.%s" % key, current, wanted, action="set %s = %s (was %s)" % (key, wanted, current))
        if to_apply:
            diffs.append({
                "before": "".join("%s = %s\n" % (k, v[0]) for k, v in sorted(to_apply.items())),
                "after": "".join("%s = %s\n" % (k, v[1]) for k, v in sorted(to_apply.items())),
                "before_header": "running values",
                "after_header": "running values",
            })
        if not self.module.check_mode:
            if current_text != wanted_text:
                st = self.fs.lstat(path)
                directory = os.path.dirname(path)
                if self.fs.lstat(directory) is None:
                    self.fs.makedirs(directory)
                self.fs.write(path, wanted_text, 0o644, st.st_uid if st else 0, st.st_gid if st else 0)
            for key, (current, wanted) in sorted(to_apply.items()):
                reason = self.procsys.write(key, wanted)
                if reason:
                    skipped.append({"key": key, "reason": reason, "current": current, "wanted": wanted})
        return {
            "changed": self.tracker.changed,
            "path": path,
            "applied": {k: v[1] for k, v in to_apply.items()},
            "skipped": skipped,
            "actions": self.tracker.actions,
            "diff": diffs,
        }
