#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: file_modes
short_description: Set owner, group and permissions of many existing paths in one call
version_added: 0.1.0
description:
  - Tightens ownership and permissions of a list of files and directories (C(/etc/shadow),
    C(/etc/cron.d), C(/root), ...) in one module run instead of one C(file) task per path.
  - With the default O(paths[].policy=at_most) the mode is a ceiling; bits that O(paths[].mode) does
    not grant are removed, and a path that is already stricter is left as it is. Use V(exact) to set
    the mode as given.
  - Paths that do not exist (or are symbolic links) are not an error; they are listed in RV(missing).
    This module never creates files.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports what would change; changes nothing.
  diff_mode:
    support: full
    description: Owner, group and mode before and after, per path.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
options:
  paths:
    description: The paths to check. Each path may appear once.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: Wanted owner (name or number). Unset leaves the owner alone.
        type: str
      group:
        description: Wanted group (name or number). Unset leaves the group alone.
        type: str
      mode:
        description: Wanted mode as an octal string such as V('0640').
        type: raw
      policy:
        description: V(at_most) treats O(paths[].mode) as a ceiling; V(exact) sets it as given.
        type: str
        choices: [at_most, exact]
        default: at_most
      follow:
        description: Apply to the target of a symbolic link (C(/usr/bin/as) -> C(x86_64-linux-gnu-as)).
        type: bool
        default: false
"""

EXAMPLES = r"""
- name: Tighten sensitive files
  ironclad.infra.file_modes:
    paths:
      - {path: /etc/shadow, owner: root, group: shadow, mode: "0640"}
      - {path: /etc/crontab, owner: root, group: root, mode: "0600"}
      - {path: /etc/cron.d, owner: root, group: root, mode: "0700"}
      - {path: /boot/grub/grub.cfg, owner: root, group: root, mode: "0400"}
"""

RETURN = r"""
paths:
  description: One entry per existing path.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/etc/cron.d", "changed": true, "actions": ["/etc/cron.d: mode 0755 -> 0700"]}]
missing:
  description: Listed paths that do not exist here (or are symbolic links).
  returned: always
  type: list
  elements: str
  sample: ["/boot/grub/grub.cfg"]
actions:
  description: What changed, one sentence per change.
  returned: always
  type: list
  elements: str
  sample: ["/etc/cron.d: mode 0755 -> 0700"]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module, tracked
from ansible_collections.ironclad.infra.plugins.module_utils._host.file_modes_backend import FileModesBackend, FileModesError
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import FILE_MODES_ARGUMENT_SPEC


def main():
    run_module(
        FILE_MODES_ARGUMENT_SPEC,
        tracked(FileModesBackend),
        {FileModesError: "%s", OSError: "could not change a path: %s"},
        diff_mode_only=True,
    )


if __name__ == "__main__":
    main()
