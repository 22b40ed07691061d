# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back end of ``ironclad.infra.sysctl_settings``: the ``sysctl.d`` file and ``/proc/sys``.

Uses of ``module``: ``params`` and ``check_mode``. The decisions are pure (:mod:`.sysctl`:
:func:`validate_settings`, :func:`render_file`, :func:`plan_runtime`); :class:`ProcSys` is the thin
layer that reads and writes ``/proc/sys``, the file goes through the config_files back end's
:class:`LocalFilesystem`.
"""

from __future__ import annotations

import errno
import os

from ansible_collections.ironclad.infra.plugins.module_utils._host.config_files_backend import LocalFilesystem
from ansible_collections.ironclad.infra.plugins.module_utils._host.sysctl import SysctlError, key_to_path, plan_runtime, render_file, validate_settings

__metaclass__ = type


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


class SysctlSettingsBackend:
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
