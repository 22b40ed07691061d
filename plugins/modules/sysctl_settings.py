#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sysctl_settings
short_description: Persist and apply many kernel parameters in one call
version_added: 0.1.0
description:
  - Writes all O(settings) to one C(sysctl.d) file (sorted, one C(key = value) per line) and sets the
    running value of every key that differs, by writing to C(/proc/sys) directly. One module run
    replaces a loop of C(ansible.posix.sysctl) tasks (one process and one file rewrite per key).
  - Keys this kernel does not have, and keys that cannot be set here (C(/proc/sys) is read-only in a
    container, and C(kernel.*) belongs to the host there) are B(not) an error by default; they are
    listed in RV(skipped) with the reason. Use O(unavailable=fail) to fail on them instead.
  - A value the kernel refuses (C(EINVAL)) always fails, naming the key.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports the file change and the keys that would be set; changes nothing.
  diff_mode:
    support: full
    description: The file as a unified diff, and every running value that changes.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
options:
  settings:
    description:
      - Kernel parameters as a mapping of dotted key to value, for example
        C(net.ipv4.conf.all.rp_filter=1). Booleans are written as C(1)/C(0), lists joined by spaces.
    type: dict
    required: true
  path:
    description:
      - The C(sysctl.d) file that holds O(settings). C(systemd-sysctl) reads files in name order and
        the last one wins, so the default name sorts after Debian's C(99-sysctl.conf).
    type: path
    default: /etc/sysctl.d/99-zz-ironclad-hardening.conf
  header:
    description: Comment lines written at the top of the file.
    type: str
    default: Managed by ironclad.infra. Local changes will be overwritten.
  apply:
    description: Set running values too. V(false) only writes the file (values apply at next boot).
    type: bool
    default: true
  unavailable:
    description:
      - What to do with keys missing on this kernel or not settable here.
      - V(report) lists them in RV(skipped); V(fail) fails before anything is changed.
    type: str
    choices: [report, fail]
    default: report
"""

EXAMPLES = r"""
- name: Harden the network stack and the kernel
  ironclad.infra.sysctl_settings:
    settings:
      net.ipv4.ip_forward: 0
      net.ipv4.conf.all.rp_filter: 1
      kernel.kptr_restrict: 2
      fs.protected_symlinks: 1
  register: sysctl_result

- name: Show what could not be set (for example inside a container)
  ansible.builtin.debug:
    var: sysctl_result.skipped
"""

RETURN = r"""
path:
  description: The C(sysctl.d) file.
  returned: always
  type: str
  sample: /etc/sysctl.d/99-zz-ironclad-hardening.conf
applied:
  description: Running values that were (or in check mode would be) changed, as C(key) to C(new value).
  returned: always
  type: dict
  sample: {"net.ipv4.conf.all.rp_filter": "1"}
skipped:
  description: Keys whose running value could not be checked or set, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "kernel.kptr_restrict", "reason": "read-only here (/proc/sys is mounted read-only, as in a container)", "current": "0", "wanted": "2"}]
actions:
  description: What changed, one sentence per change.
  returned: always
  type: list
  elements: str
  sample: ["write /etc/sysctl.d/99-zz-ironclad-hardening.conf", "set net.ipv4.conf.all.rp_filter = 1 (was 0)"]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module, tracked
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import SYSCTL_SETTINGS_ARGUMENT_SPEC
from ansible_collections.ironclad.infra.plugins.module_utils._host.sysctl_backend import SysctlError, SysctlSettingsBackend


def main():
    run_module(
        SYSCTL_SETTINGS_ARGUMENT_SPEC,
        tracked(SysctlSettingsBackend),
        {SysctlError: "%s", OSError: "could not write sysctl settings: %s"},
        diff_mode_only=True,
    )


if __name__ == "__main__":
    main()
