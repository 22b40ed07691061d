# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of ``ironclad.infra.hardening_audit``, documented in that module's DOCUMENTATION.
No option has a spec default: one left unset keeps the role's default from :mod:`.audit_defaults`."""

from __future__ import annotations

__metaclass__ = type

ARGUMENT_SPEC = dict(
    areas=dict(type="dict"),
    container=dict(type="str", choices=["auto", "true", "false"], default="auto"),
    sysctl=dict(type="dict"),
    kernel_modules=dict(type="list", elements="str"),
    mounts=dict(type="list", elements="dict", options=dict(
        path=dict(type="path", required=True),
        options=dict(type="list", elements="str", required=True),
    )),
    tmp_tmpfs=dict(type="bool"),
    proc_hidepid=dict(type="str", choices=["off", "noaccess", "invisible", "ptraceable"]),
    login_defs=dict(type="dict"),
    password_hash_algorithm=dict(type="str", choices=["yescrypt", "sha512"], no_log=False),
    pwquality=dict(type="dict"),
    faillock=dict(type="dict"),
    pam_tmpdir=dict(type="bool"),
    umask=dict(type="str"),
    shell_timeout=dict(type="int"),
    file_permissions=dict(type="list", elements="dict"),
    suid_sgid_allowed=dict(type="list", elements="path"),
    suid_sgid_roots=dict(type="list", elements="path"),
    legacy_packages=dict(type="list", elements="str"),
    auditd_immutable=dict(type="bool"),
    updates_tools=dict(type="list", elements="str"),
    banner_text=dict(type="str"),
    banner_motd=dict(type="bool"),
    cron_allow=dict(type="list", elements="str"),
    at_allow=dict(type="list", elements="str"),
    remote_syslog_host=dict(type="str"),
    ssh_policy=dict(type="dict"),
)
