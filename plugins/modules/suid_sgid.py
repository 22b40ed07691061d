#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: suid_sgid
short_description: Clear set-user-ID and set-group-ID bits outside an allow-list
version_added: 0.1.0
description:
  - Walks the filesystems under O(roots) (one filesystem each unless O(same_filesystem=false)) and
    finds regular files with the set-user-ID or set-group-ID bit.
  - Files not in O(allowed) are reported (RV(unexpected)) and, with O(policy=strip), lose both bits.
  - A stripped file that belongs to a Debian package is recorded with C(dpkg-statoverride), so a
    package upgrade does not bring the bit back (O(statoverride)).
  - Trees that hold other systems' files (C(/var/lib/docker), C(/var/lib/containerd), snaps, ...)
    are excluded by default; their set-ID bits belong to container images.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Finds and reports; changes nothing.
  diff_mode:
    support: full
    description: Mode before and after per stripped file.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
options:
  allowed:
    description:
      - Paths that may keep their set-ID bits. An entry ending in C(/) allows a whole directory.
        Symbolic links in the list (C(/bin/su) on a merged-/usr system) match their target.
    type: list
    elements: path
    default: []
  roots:
    description: Where to search.
    type: list
    elements: path
    default: ["/"]
  exclude:
    description:
      - Path prefixes not searched. Unset uses the built-in list (C(/proc), C(/sys), C(/dev), C(/run),
        C(/var/lib/docker), C(/var/lib/containerd), C(/var/lib/containers), C(/var/lib/lxc),
        C(/var/lib/lxd), C(/var/lib/machines), C(/var/lib/snapd), C(/snap)).
    type: list
    elements: path
  same_filesystem:
    description: Stay on the filesystem of each root (like C(find -xdev)).
    type: bool
    default: true
  policy:
    description: V(strip) clears the bits of unexpected files; V(report) only lists them.
    type: str
    choices: [strip, report]
    default: strip
  statoverride:
    description: Record stripped modes with C(dpkg-statoverride) where it exists.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Keep set-ID bits only where they are needed
  ironclad.infra.suid_sgid:
    allowed:
      - /usr/bin/su
      - /usr/bin/sudo
      - /usr/bin/passwd
      - /usr/sbin/unix_chkpwd

- name: Report only
  ironclad.infra.suid_sgid:
    allowed: [/usr/bin/su, /usr/bin/sudo]
    policy: report
  register: setid
"""

RETURN = r"""
allowed:
  description: Set-ID files found that are in the allow-list.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/usr/bin/su", "mode": "4755", "bits": "setuid"}]
unexpected:
  description: Set-ID files found outside the allow-list (before stripping).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/usr/bin/chfn", "mode": "4755", "bits": "setuid"}]
stripped:
  description: Files whose bits were (or in check mode would be) cleared.
  returned: always
  type: list
  elements: str
  sample: ["/usr/bin/chfn"]
notes:
  description: Remarks about C(dpkg-statoverride) entries that could not be added.
  returned: always
  type: list
  elements: str
  sample: []
actions:
  description: What changed, one sentence per file.
  returned: always
  type: list
  elements: str
  sample: ["/usr/bin/chfn: clear setuid (mode 4755 -> 0755)"]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module, tracked
from ansible_collections.ironclad.infra.plugins.module_utils._host.file_modes_backend import SuidSgidBackend
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import SUID_SGID_ARGUMENT_SPEC


def main():
    run_module(
        SUID_SGID_ARGUMENT_SPEC,
        tracked(SuidSgidBackend),
        {OSError: "could not change a set-ID file: %s"},
        diff_mode_only=True,
    )


if __name__ == "__main__":
    main()
