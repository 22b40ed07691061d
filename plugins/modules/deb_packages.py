#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: deb_packages
short_description: Install and purge Debian packages in one call, deciding from dpkg's status alone
version_added: 0.1.0
description:
  - Reads C(/var/lib/dpkg/status) and compares it with O(present) and O(absent). When nothing is
    missing and nothing unwanted is installed, it runs no command and loads no apt cache, so a run
    that changes nothing costs one file read.
  - Otherwise it runs C(apt-get update) (only when something must be installed and the package lists
    are older than O(cache_valid_time), or O(update_cache=true)), one C(apt-get install) for all
    missing packages and one C(apt-get purge) for all unwanted ones (configuration leftovers of
    removed packages included).
  - Package configuration files already on disk are kept (C(--force-confold)).
  - The module's action plugin first runs one C(dpkg-query) on the host through the shell; when its
    output already satisfies O(present) and O(absent), the result is returned without starting
    Python on the host. Otherwise, or when anything is unclear, the module runs as described.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports what would be installed and purged.
  diff_mode:
    support: none
    description: Reports its actions in RV(actions) instead.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
options:
  present:
    description: Packages that must be installed.
    type: list
    elements: str
    default: []
  absent:
    description: Packages that must not be installed.
    type: list
    elements: str
    default: []
  purge:
    description: Purge (remove with configuration) rather than remove.
    type: bool
    default: true
  install_recommends:
    description: Install recommended packages too.
    type: bool
    default: false
  update_cache:
    description: Refresh the package lists before installing even when they are recent (a new apt source).
    type: bool
    default: false
  cache_valid_time:
    description: Package lists younger than this many seconds are not refreshed before an install.
    type: int
    default: 3600
  lock_timeout:
    description: Seconds to wait for the dpkg lock (unattended-upgrades may hold it).
    type: int
    default: 300
notes:
  - Names are exact package names; virtual packages are not resolved.
"""

EXAMPLES = r"""
- name: Hardening packages in, legacy clients out
  ironclad.infra.deb_packages:
    present: [libpam-pwquality, aide, fail2ban]
    absent: [telnet, rsh-client, nis]
"""

RETURN = r"""
installed:
  description: Packages that were (or in check mode would be) installed.
  returned: always
  type: list
  elements: str
  sample: [aide]
purged:
  description: Packages that were (or in check mode would be) purged.
  returned: always
  type: list
  elements: str
  sample: [telnet]
cache_updated:
  description: Whether C(apt-get update) ran.
  returned: always
  type: bool
  sample: false
actions:
  description: What was (or would be) done.
  returned: always
  type: list
  elements: str
  sample: ["install aide", "purge telnet"]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module, tracked
from ansible_collections.ironclad.infra.plugins.module_utils._host.deb_packages_backend import DebPackagesBackend, DebPackagesError
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import DEB_PACKAGES_ARGUMENT_SPEC


def main():
    run_module(DEB_PACKAGES_ARGUMENT_SPEC, tracked(DebPackagesBackend), {DebPackagesError: "%s"})


if __name__ == "__main__":
    main()
