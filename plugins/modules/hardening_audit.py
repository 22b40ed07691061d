#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: hardening_audit
short_description: Read-only compliance audit of the os_hardening and ssh_hardening controls
version_added: 0.1.0
description:
  - Evaluates the controls of the C(ironclad.infra.os_hardening) and C(ironclad.infra.ssh_hardening)
    roles on a host and returns each control's id, title, status (V(pass), V(fail) or
    V(not_applicable), with the reason) and a score, without any external scanner.
  - Reads files and runs read-only commands only (C(systemctl show), C(auditctl -l), C(sshd -T),
    C(apt-config dump), C(fail2ban-client status)); it never changes the host, so RV(ignore:changed) is
    always false and check mode gives the same answer.
  - Controls that cannot apply are V(not_applicable) with the reason, never V(fail) (auditd, kernel
    modules, accounting, time sync and read-only kernel parameters inside a container, mount points
    that do not exist, disabled areas).
  - Without options the expectations are the role defaults. Through the role
    (C(include_role) with C(tasks_from=audit)) the role's variables are passed, so the audit checks
    what the role applies.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: The module is read-only; check mode changes nothing about its behaviour.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
options:
  areas:
    description:
      - Which areas to evaluate, as area name to V(true)/V(false). Missing areas use the default
        (all on except V(remote_syslog)). Areas are V(sysctl), V(kernel_modules), V(mounts),
        V(login_defs), V(pam), V(core_dumps), V(umask), V(file_permissions), V(suid_sgid),
        V(legacy_packages), V(auditd), V(aide), V(updates), V(rootkit_scan), V(accounting), V(banners), V(time_sync),
        V(cron), V(fail2ban), V(remote_syslog), V(ssh).
    type: dict
  container:
    description: V(auto) detects a container; V(true)/V(false) override the detection.
    type: str
    choices: [auto, "true", "false"]
    default: auto
  sysctl:
    description: Expected kernel parameters (key to value). Default is the role's.
    type: dict
  kernel_modules:
    description: Modules that must be blocked. Default is the role's.
    type: list
    elements: str
  mounts:
    description: Mount points and options, as the role's O(mounts[].path)/O(mounts[].options) list. Default is the role's.
    type: list
    elements: dict
    suboptions:
      path:
        description: Mount point.
        type: path
        required: true
      options:
        description: Required options.
        type: list
        elements: str
        required: true
  tmp_tmpfs:
    description: C(/tmp) must be a separate (tmpfs) mount.
    type: bool
  proc_hidepid:
    description: Expected C(hidepid) of C(/proc) (V(off) = not checked).
    type: str
    choices: ["off", noaccess, invisible, ptraceable]
  login_defs:
    description: Expected C(/etc/login.defs) keys. Default is the role's.
    type: dict
  password_hash_algorithm:
    description: Expected hash of new passwords (login.defs and pam_unix).
    type: str
    choices: [yescrypt, sha512]
  pwquality:
    description: Expected C(pwquality.conf) settings.
    type: dict
  faillock:
    description: Expected C(faillock.conf) settings.
    type: dict
  pam_tmpdir:
    description: pam_tmpdir must be active.
    type: bool
  umask:
    description: Expected default umask.
    type: str
  shell_timeout:
    description: Expected idle shell timeout in seconds (0 = not checked).
    type: int
  file_permissions:
    description: Paths with owner, group and mode ceilings. Default is the role's.
    type: list
    elements: dict
  suid_sgid_allowed:
    description: Files that may be set-ID. Default is the role's.
    type: list
    elements: path
  suid_sgid_roots:
    description: Where to look for set-ID files.
    type: list
    elements: path
  legacy_packages:
    description: Packages that must not be installed. Default is the role's.
    type: list
    elements: str
  auditd_immutable:
    description: Audit rules must be immutable (C(-e 2)).
    type: bool
  updates_tools:
    description: apt tools that must be installed.
    type: list
    elements: str
  banner_text:
    description: Expected banner text (empty = any banner without system details).
    type: str
  banner_motd:
    description: C(/etc/motd) must carry the banner too.
    type: bool
  cron_allow:
    description: Users expected in C(/etc/cron.allow).
    type: list
    elements: str
  at_allow:
    description: Users expected in C(/etc/at.allow).
    type: list
    elements: str
  remote_syslog_host:
    description: Expected remote syslog host (empty = not applicable).
    type: str
  ssh_policy:
    description:
      - Loosens single SSH expectations, for example C(permit_root_login) as a list of allowed values
        (V(no), V(prohibit-password)) or C(max_auth_tries) as a number; see the C(ssh_hardening) role.
    type: dict
"""

EXAMPLES = r"""
- name: Audit a host against the role defaults
  ironclad.infra.hardening_audit:
  register: audit

- name: Show the failing controls
  ansible.builtin.debug:
    msg: "{{ audit.controls | selectattr('status', 'equalto', 'fail') | list }}"

- name: Audit with the role's own variables (what the role applies on this host)
  ansible.builtin.include_role:
    name: ironclad.infra.os_hardening
    tasks_from: audit
"""

RETURN = r"""
controls:
  description: Every control with its result.
  returned: always
  type: list
  elements: dict
  sample:
    - {"id": "os.sysctl.runtime", "title": "Running kernel and network parameters match", "area": "sysctl",
       "status": "not_applicable", "reason": "docker container: 18 values cannot be set here (read-only /proc/sys): ..."}
    - {"id": "os.pam.faillock", "title": "Accounts lock after repeated failed logins (pam_faillock)", "area": "pam",
       "status": "pass", "reason": "pam_faillock active (deny=5)"}
score:
  description: Passing controls as a percentage of the controls that apply (pass + fail).
  returned: always
  type: float
  sample: 100.0
summary:
  description: Number of controls per status.
  returned: always
  type: dict
  sample: {"pass": 40, "fail": 0, "not_applicable": 7, "total": 47}
failed_controls:
  description: Ids of the failing controls.
  returned: always
  type: list
  elements: str
  sample: []
container:
  description: The detected container type, or null on a VM or bare metal.
  returned: always
  type: str
  sample: docker
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.backend import AuditBackend
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.spec import ARGUMENT_SPEC


def main():
    run_module(
        ARGUMENT_SPEC,
        AuditBackend,
        {(ValueError, OSError): "audit failed: %s"},
    )


if __name__ == "__main__":
    main()
