#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pam_auth_update
short_description: Keep Debian pam-auth-update profiles active and set the pam_unix hash algorithm
version_added: 0.1.0
description:
  - Checks whether every profile in O(enable) (files in C(/usr/share/pam-configs)) is active, by
    looking for its module lines in C(/etc/pam.d/common-*), and runs C(pam-auth-update --enable) only
    for the ones that are not. A run that finds everything in place runs no command.
  - With O(unix_hash), rewrites the C(pam_unix.so) password line of C(/etc/pam.d/common-password) to
    hash new passwords with the given algorithm (and cost). pam-auth-update then treats that file as
    locally modified and leaves it alone on later runs; the Debian default (yescrypt, default cost)
    needs no edit.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports profiles that would be enabled and the line that would change.
  diff_mode:
    support: full
    description: C(common-password) before and after a hash change.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
options:
  enable:
    description: Profile names (file names in C(/usr/share/pam-configs)) that must be active.
    type: list
    elements: str
    default: []
  unix_hash:
    description: Hash algorithm for C(pam_unix.so) password lines. Unset leaves them alone.
    type: dict
    suboptions:
      algorithm:
        description: The algorithm.
        type: str
        required: true
        choices: [yescrypt, sha512]
      rounds:
        description: Cost (yescrypt 1..11) or rounds (sha512). Unset removes C(rounds=) (library default).
        type: int
  force:
    description:
      - Pass C(--force) to pam-auth-update, overwriting C(common-*) files that were edited by hand.
        Without it such files are left alone and the module fails, naming the profiles it could not
        activate.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Lockout and password quality profiles are active
  ironclad.infra.pam_auth_update:
    enable: [pwquality, tmpdir, ironclad-faillock, ironclad-faillock-notify]

- name: Hash with SHA-512 and 100000 rounds
  ironclad.infra.pam_auth_update:
    unix_hash:
      algorithm: sha512
      rounds: 100000
"""

RETURN = r"""
enabled:
  description: Profiles that were (or in check mode would be) enabled.
  returned: always
  type: list
  elements: str
  sample: ["ironclad-faillock"]
actions:
  description: What was (or would be) done.
  returned: always
  type: list
  elements: str
  sample: ["enable profile ironclad-faillock (missing common-auth: pam_faillock.so authfail)"]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module, tracked
from ansible_collections.ironclad.infra.plugins.module_utils._host.pam_backend import PamAuthUpdateBackend, PamError
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import PAM_AUTH_UPDATE_ARGUMENT_SPEC


def main():
    run_module(
        PAM_AUTH_UPDATE_ARGUMENT_SPEC,
        tracked(PamAuthUpdateBackend),
        {(PamError, OSError): "%s"},
        diff_mode_only=True,
    )


if __name__ == "__main__":
    main()
