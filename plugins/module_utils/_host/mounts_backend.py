# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back end of ``ironclad.infra.mount_options``: mountinfo and fstab on the host, ``mount -o remount``.

Uses of ``module``: ``params``, ``check_mode``, ``run_command`` and ``get_bin_path``. The decisions
are pure (:mod:`.mounts`: :func:`parse_mountinfo`, :func:`edit_fstab`); files are read and written
through :mod:`.text_files` (replaceable for tests).
"""

from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._host.mounts import edit_fstab, missing_options, parse_mountinfo, supported_option
from ansible_collections.ironclad.infra.plugins.module_utils._host.text_files import read_text, replace_text

__metaclass__ = type


class MountOptionsBackend:
    """Live and persistent mount options of paths that are mount points; ``run()`` returns the result.

    ``module`` needs ``params`` (``mounts``, ``fstab``, ``persist``, ``remount``), ``check_mode``,
    ``run_command`` and ``get_bin_path``. ``read`` / ``write`` are replaceable for tests.
    """

    def __init__(self, module, tracker, read=None, write=None):
        self.module = module
        self.tracker = tracker
        self.read = read or read_text
        self.write = write or replace_text

    def run(self):
        params = self.module.params
        mounts = parse_mountinfo(self.read("/proc/self/mountinfo"))
        fstab_path = params.get("fstab") or "/etc/fstab"
        fstab = self.read(fstab_path)
        new_fstab = fstab
        skipped = []
        remounts = []
        for index, entry in enumerate(params["mounts"]):
            point = entry.get("path")
            wanted = list(entry.get("options") or [])
            bad = [o for o in wanted if not supported_option(o)]
            if bad:
                raise ValueError("mounts[%d] (%s): unsupported option(s) %s; use nodev, nosuid, noexec, "
                                 "hidepid=..., gid=... or subset=..." % (index, point, ", ".join(bad)))
            info = mounts.get(point)
            if info is None:
                skipped.append({"path": point, "reason": "not a separate mount point here"})
                continue
            missing = missing_options(info["options"], wanted)
            if missing and params["remount"]:
                self.tracker.add("%s.live" % point, ",".join(sorted(o for o in info["options"] if supported_option(o))),
                                 ",".join(wanted), action="remount %s with %s" % (point, ",".join(missing)))
                remounts.append((point, wanted))
            if params["persist"] and fstab is not None:
                add = {"source": info["source"], "fstype": info["fstype"]} if params["add_fstab_entries"] else None
                new_fstab, action = edit_fstab(new_fstab, point, wanted, add)
                if action:
                    self.tracker.add("%s.fstab" % point, None, ",".join(wanted), action=action)
        if not self.module.check_mode:
            if new_fstab != fstab:
                self.write(fstab_path, new_fstab)
            mount = self.module.get_bin_path("mount", required=True)
            for point, wanted in remounts:
                rc, _out, err = self.module.run_command([mount, "-o", "remount," + ",".join(wanted), point])
                if rc != 0:
                    raise OSError("mount -o remount,%s %s failed: %s" % (",".join(wanted), point, err.strip()))
        result = {
            "changed": self.tracker.changed,
            "actions": self.tracker.actions,
            "skipped": skipped,
        }
        if fstab != new_fstab:
            result["diff"] = {"before": fstab or "", "after": new_fstab or "", "before_header": fstab_path, "after_header": fstab_path}
        return result
