# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument specs of the host modules, one constant per module, each documented in that module's
DOCUMENTATION (tests/unit/plugins/modules/test_documentation_matches_spec.py keeps the two in step).

Modules: config_files, deb_packages, systemd_units, mount_options, sysctl_settings, pam_auth_update,
file_modes, suid_sgid. The action plugins of config_files, deb_packages and systemd_units validate
their task arguments against the same constants before they probe the host.
"""

from __future__ import annotations

__metaclass__ = type


CONFIG_FILES_ARGUMENT_SPEC = dict(
    files=dict(
        type="list",
        elements="dict",
        required=True,
        options=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            content=dict(type="str"),
            settings=dict(type="dict"),
            separator=dict(type="str", default=" "),
            create=dict(type="bool", default=True),
            owner=dict(type="str"),
            group=dict(type="str"),
            mode=dict(type="raw"),
            unless_found=dict(type="dict", options=dict(
                paths=dict(type="list", elements="path", required=True),
                regexp=dict(type="str", required=True),
            )),
        ),
        mutually_exclusive=[("content", "settings")],
    ),
)


DEB_PACKAGES_ARGUMENT_SPEC = dict(
    present=dict(type="list", elements="str", default=[]),
    absent=dict(type="list", elements="str", default=[]),
    purge=dict(type="bool", default=True),
    install_recommends=dict(type="bool", default=False),
    update_cache=dict(type="bool", default=False),
    cache_valid_time=dict(type="int", default=3600),
    lock_timeout=dict(type="int", default=300),
)


SYSTEMD_UNITS_ARGUMENT_SPEC = dict(
    units=dict(
        type="list",
        elements="dict",
        required=True,
        options=dict(
            name=dict(type="str", required=True),
            enabled=dict(type="bool"),
            state=dict(type="str", choices=["started", "stopped"]),
            masked=dict(type="bool"),
            no_block=dict(type="bool", default=False),
            missing_ok=dict(type="bool", default=False),
            restarted=dict(type="bool", default=False),
        ),
    ),
    daemon_reload=dict(type="bool", default=False),
)


MOUNT_OPTIONS_ARGUMENT_SPEC = dict(
    mounts=dict(
        type="list",
        elements="dict",
        required=True,
        options=dict(
            path=dict(type="path", required=True),
            options=dict(type="list", elements="str", required=True),
        ),
    ),
    fstab=dict(type="path", default="/etc/fstab"),
    persist=dict(type="bool", default=True),
    add_fstab_entries=dict(type="bool", default=True),
    remount=dict(type="bool", default=True),
)


SYSCTL_SETTINGS_ARGUMENT_SPEC = dict(
    settings=dict(type="dict", required=True),
    path=dict(type="path", default="/etc/sysctl.d/99-zz-ironclad-hardening.conf"),
    header=dict(type="str", default="Managed by ironclad.infra. Local changes will be overwritten."),
    apply=dict(type="bool", default=True),
    unavailable=dict(type="str", choices=["report", "fail"], default="report"),
)


PAM_AUTH_UPDATE_ARGUMENT_SPEC = dict(
    enable=dict(type="list", elements="str", default=[]),
    unix_hash=dict(
        type="dict",
        options=dict(
            algorithm=dict(type="str", required=True, choices=["yescrypt", "sha512"]),
            rounds=dict(type="int"),
        ),
    ),
    force=dict(type="bool", default=False),
)


FILE_MODES_ARGUMENT_SPEC = dict(
    paths=dict(
        type="list",
        elements="dict",
        required=True,
        options=dict(
            path=dict(type="path", required=True),
            owner=dict(type="str"),
            group=dict(type="str"),
            mode=dict(type="raw"),
            policy=dict(type="str", choices=["at_most", "exact"], default="at_most"),
            follow=dict(type="bool", default=False),
        ),
    ),
)


SUID_SGID_ARGUMENT_SPEC = dict(
    allowed=dict(type="list", elements="path", default=[]),
    roots=dict(type="list", elements="path", default=["/"]),
    exclude=dict(type="list", elements="path"),
    same_filesystem=dict(type="bool", default=True),
    policy=dict(type="str", choices=["strip", "report"], default="strip"),
    statoverride=dict(type="bool", default=True),
)
