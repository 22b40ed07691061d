# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back ends of ``ironclad.infra.file_modes`` and ``ironclad.infra.suid_sgid``: stat, chown, chmod, the set-ID scan.

Uses of ``module``: ``params``, ``check_mode``, ``run_command`` and ``get_bin_path`` (``dpkg-statoverride``).
The decisions are pure (:mod:`.file_modes`: :func:`wanted_mode`, :func:`plan_path`,
:func:`classify_setuid`); :func:`find_setuid` walks one filesystem with ``os.scandir`` (the
hardening audit's host uses it too).
"""

from __future__ import annotations

import os
import stat

from ansible_collections.ironclad.infra.plugins.module_utils._common.files import group_id, user_id
from ansible_collections.ironclad.infra.plugins.module_utils._host.file_modes import (
    DEFAULT_SETUID_EXCLUDES,
    SETID_BITS,
    FileModesError,
    classify_setuid,
    normalise_paths,
    plan_path,
    wanted_mode,
)

__metaclass__ = type


def _excluded(path, excludes):
    for prefix in excludes:
        if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
            return True
    return False


def find_setuid(roots, excludes=None, same_filesystem=True):
    """Return ``[(path, mode)]`` of regular files with a set-user-ID or set-group-ID bit under ``roots``."""
    excludes = list(DEFAULT_SETUID_EXCLUDES if excludes is None else excludes)
    found = []
    for root in roots:
        try:
            root_dev = os.lstat(root).st_dev
        except OSError:
            continue
        stack = [root]
        while stack:
            directory = stack.pop()
            try:
                iterator = os.scandir(directory)
            except OSError:
                continue
            with iterator:
                for item in iterator:
                    path = item.path
                    if _excluded(path, excludes):
                        continue
                    try:
                        st = item.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        if same_filesystem and st.st_dev != root_dev:
                            continue
                        stack.append(path)
                    elif stat.S_ISREG(st.st_mode) and st.st_mode & SETID_BITS:
                        found.append((path, stat.S_IMODE(st.st_mode)))
    found.sort()
    return found


def _lookup_ids(owner, group):
    return user_id(owner), group_id(group)


class FileModesBackend:
    """Owner, group and mode of many paths; ``run()`` returns the module result.

    ``module`` needs ``params`` (``paths``) and ``check_mode``. Missing paths are listed in
    ``missing`` and are not an error: the list describes what to tighten *where it exists*.
    """

    def __init__(self, module, tracker, lookup_ids=None):
        self.module = module
        self.tracker = tracker
        self.lookup_ids = lookup_ids or _lookup_ids

    def run(self):
        entries = normalise_paths(self.module.params["paths"])
        resolved = []
        for entry in entries:
            try:
                resolved.append(self.lookup_ids(entry["owner"], entry["group"]))
            except KeyError:
                raise FileModesError("%s: owner %r or group %r does not exist on this host"
                                     % (entry["where"], entry["owner"], entry["group"])) from None
        missing = []
        results = []
        done = set()
        for index, entry in enumerate(entries):
            uid, gid = resolved[index]
            if entry["follow"]:
                entry = dict(entry, path=os.path.realpath(entry["path"]))
            if entry["path"] in done:
                continue
            done.add(entry["path"])
            try:
                st = os.lstat(entry["path"])
            except FileNotFoundError:
                missing.append(entry["path"])
                continue
            if stat.S_ISLNK(st.st_mode):
                missing.append(entry["path"])
                continue
            changes = plan_path(entry, st, uid, gid)
            for key, before, after, action in changes:
                self.tracker.add(key, before, after, action=action)
            if changes and not self.module.check_mode:
                if (uid is not None and st.st_uid != uid) or (gid is not None and st.st_gid != gid):
                    os.lchown(entry["path"], st.st_uid if uid is None else uid, st.st_gid if gid is None else gid)
                new_mode = wanted_mode(stat.S_IMODE(st.st_mode), entry["mode"], entry["policy"])
                if new_mode != stat.S_IMODE(os.lstat(entry["path"]).st_mode):
                    os.chmod(entry["path"], new_mode)
            results.append({"path": entry["path"], "changed": bool(changes), "actions": [c[3] for c in changes]})
        diff = self.tracker.diff()
        return {
            "changed": self.tracker.changed,
            "paths": results,
            "missing": missing,
            "actions": self.tracker.actions,
            "diff": diff,
        }


class SuidSgidBackend:
    """Find set-user-ID / set-group-ID files outside an allow-list and (policy ``strip``) clear the bits.

    ``module`` needs ``params`` (``allowed``, ``roots``, ``exclude``, ``same_filesystem``, ``policy``,
    ``statoverride``), ``check_mode`` and ``run_command``/``get_bin_path`` (for ``dpkg-statoverride``).
    """

    def __init__(self, module, tracker, finder=None):
        self.module = module
        self.tracker = tracker
        self.finder = finder or find_setuid

    def _statoverride(self, path, mode, st):
        """Record the new mode with dpkg-statoverride so a package upgrade does not restore the bit."""
        tool = self.module.get_bin_path("dpkg-statoverride")
        if not tool:
            return None
        rc, out, _err = self.module.run_command([tool, "--list", path])
        if rc == 0 and out.strip():
            return "dpkg-statoverride already has an entry for %s; left as it is" % path
        import grp
        import pwd

        try:
            owner = pwd.getpwuid(st.st_uid).pw_name
            group = grp.getgrgid(st.st_gid).gr_name
        except KeyError:
            return "owner or group of %s has no name; no dpkg-statoverride entry" % path
        rc, _out, err = self.module.run_command([tool, "--update", "--add", owner, group, "%04o" % mode, path])
        if rc != 0:
            return "dpkg-statoverride failed for %s: %s" % (path, err.strip())
        return None

    def run(self):
        params = self.module.params
        roots = params.get("roots") or ["/"]
        excludes = params.get("exclude")
        if excludes is None:
            excludes = DEFAULT_SETUID_EXCLUDES
        found = self.finder(roots, excludes, params["same_filesystem"])
        allowed, unexpected = classify_setuid(found, params["allowed"])
        warnings = []
        stripped = []
        if params["policy"] == "strip":
            for item in unexpected:
                path = item["path"]
                old = int(item["mode"], 8)
                new = old & ~SETID_BITS
                self.tracker.add(path + ":mode", item["mode"], "%04o" % new,
                                 action="%s: clear %s (mode %s -> %04o)" % (path, item["bits"], item["mode"], new))
                stripped.append(path)
                if self.module.check_mode:
                    continue
                st = os.lstat(path)
                os.chmod(path, new)
                if params["statoverride"]:
                    note = self._statoverride(path, new, st)
                    if note:
                        warnings.append(note)
        return {
            "changed": self.tracker.changed,
            "allowed": allowed,
            "unexpected": unexpected,
            "stripped": stripped,
            "actions": self.tracker.actions,
            "notes": warnings,
            "diff": self.tracker.diff(),
        }
