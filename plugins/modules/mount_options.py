#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mount_options
short_description: Ensure nodev, nosuid and noexec on paths that are mount points
version_added: 0.1.0
description:
  - For each path in O(mounts) that is a mount point of its own (per C(/proc/self/mountinfo)), makes
    sure the running mount has the wanted options (C(mount -o remount)) and, with O(persist=true),
    that C(/etc/fstab) carries them (an existing line is extended; a missing one is added from the
    running mount when O(add_fstab_entries=true)).
  - A path that is not a separate mount (C(/var/tmp) on the root filesystem) is not applicable; it is
    listed in RV(skipped) and left alone. The module never creates filesystems or partitions.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports remounts and fstab edits; changes nothing.
  diff_mode:
    support: full
    description: The fstab before and after.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
options:
  mounts:
    description: Mount points and the options they must have.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The mount point, for example V(/dev/shm).
        type: path
        required: true
      options:
        description: Options to enforce; any of V(nodev), V(nosuid), V(noexec).
        type: list
        elements: str
        required: true
  fstab:
    description: Path of the fstab file.
    type: path
    default: /etc/fstab
  persist:
    description:
      - Also write the options to O(fstab), so that they hold after a reboot (systemd-remount-fs
        applies them to C(/proc), C(/dev) and C(/dev/shm) at boot, in a container too).
    type: bool
    default: true
  add_fstab_entries:
    description: Add an fstab line (from the running mount) for a mount point that has none.
    type: bool
    default: true
  remount:
    description: Remount running mounts that lack an option.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Restrict temporary filesystems where they are mounts
  ironclad.infra.mount_options:
    mounts:
      - {path: /tmp, options: [nodev, nosuid, noexec]}
      - {path: /dev/shm, options: [nodev, nosuid, noexec]}
      - {path: /var/tmp, options: [nodev, nosuid, noexec]}
"""

RETURN = r"""
skipped:
  description: Paths that are not separate mount points here.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/var/tmp", "reason": "not a separate mount point here"}]
actions:
  description: What was (or would be) done.
  returned: always
  type: list
  elements: str
  sample: ["remount /dev/shm with noexec", "fstab /dev/shm: add line with nodev,nosuid,noexec"]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module, tracked
from ansible_collections.ironclad.infra.plugins.module_utils._host.mounts_backend import MountOptionsBackend
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import MOUNT_OPTIONS_ARGUMENT_SPEC


def main():
    run_module(
        MOUNT_OPTIONS_ARGUMENT_SPEC,
        tracked(MountOptionsBackend),
        {(ValueError, OSError): "%s"},
        diff_mode_only=True,
    )


if __name__ == "__main__":
    main()
