# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data: what ``ironclad.infra.hardening_audit`` expects when it is called without options.

These are the defaults of the ``os_hardening`` role (``roles/os_hardening/defaults/main.yml``); a unit
test keeps the two equal. The areas and the sysctl composition are not restated here: they come from
:mod:`.areas`, which the role uses too. When the role is used with other values, run the audit through
the role (``tasks_from: audit``) so it gets the same variables.
"""

from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._hardening.areas import DEFAULT_AREAS, sysctl_settings

__metaclass__ = type

SYSCTL_NETWORK = {
    "net.ipv4.conf.all.accept_redirects": 0,
    "net.ipv4.conf.default.accept_redirects": 0,
    "net.ipv6.conf.all.accept_redirects": 0,
    "net.ipv6.conf.default.accept_redirects": 0,
    "net.ipv4.conf.all.secure_redirects": 0,
    "net.ipv4.conf.default.secure_redirects": 0,
    "net.ipv4.conf.all.send_redirects": 0,
    "net.ipv4.conf.default.send_redirects": 0,
    "net.ipv4.conf.all.accept_source_route": 0,
    "net.ipv4.conf.default.accept_source_route": 0,
    "net.ipv6.conf.all.accept_source_route": 0,
    "net.ipv6.conf.default.accept_source_route": 0,
    "net.ipv4.conf.all.rp_filter": 1,
    "net.ipv4.conf.default.rp_filter": 1,
    "net.ipv4.conf.all.log_martians": 1,
    "net.ipv4.conf.default.log_martians": 1,
    "net.ipv4.conf.all.proxy_arp": 0,
    "net.ipv4.icmp_echo_ignore_broadcasts": 1,
    "net.ipv4.icmp_ignore_bogus_error_responses": 1,
    "net.ipv4.tcp_syncookies": 1,
    "net.ipv4.tcp_rfc1337": 1,
}

SYSCTL_KERNEL = {
    "kernel.randomize_va_space": 2,
    "kernel.kptr_restrict": 2,
    "kernel.dmesg_restrict": 1,
    "kernel.yama.ptrace_scope": 1,
    "kernel.unprivileged_bpf_disabled": 1,
    "net.core.bpf_jit_harden": 2,
    "kernel.perf_event_paranoid": 3,
    "kernel.sysrq": 0,
    "kernel.core_uses_pid": 1,
    "kernel.ctrl-alt-del": 0,
    "dev.tty.ldisc_autoload": 0,
    "fs.protected_hardlinks": 1,
    "fs.protected_symlinks": 1,
    "fs.protected_fifos": 2,
    "fs.protected_regular": 2,
    "fs.suid_dumpable": 0,
}

SYSCTL = sysctl_settings(SYSCTL_NETWORK, SYSCTL_KERNEL, ip_forwarding=False, ipv6_router_advertisements=False)

KERNEL_MODULES = [
    "cramfs", "freevxfs", "hfs", "hfsplus", "jffs2", "udf",
    "usb-storage", "uas", "firewire-core", "firewire-ohci", "firewire-sbp2",
    "dccp", "sctp", "rds", "tipc", "n-hdlc",
]

MOUNTS = [
    {"path": "/tmp", "options": ["nodev", "nosuid", "noexec"]},
    {"path": "/dev/shm", "options": ["nodev", "nosuid", "noexec"]},
    {"path": "/var/tmp", "options": ["nodev", "nosuid", "noexec"]},
    {"path": "/home", "options": ["nodev"]},
    {"path": "/dev", "options": ["nosuid", "noexec"]},
]

LOGIN_DEFS = {
    "PASS_MAX_DAYS": 365,
    "PASS_MIN_DAYS": 1,
    "PASS_WARN_AGE": 7,
    "LOGIN_RETRIES": 3,
    "LOGIN_TIMEOUT": 60,
    "ENCRYPT_METHOD": "YESCRYPT",
    "YESCRYPT_COST_FACTOR": 5,
    "SHA_CRYPT_MIN_ROUNDS": 65536,
    "SHA_CRYPT_MAX_ROUNDS": 65536,
    "FAILLOG_ENAB": "yes",
    "LOG_OK_LOGINS": "yes",
    "SYSLOG_SU_ENAB": "yes",
    "SYSLOG_SG_ENAB": "yes",
}

PWQUALITY = {
    "minlen": 14,
    "minclass": 4,
    "difok": 2,
    "maxrepeat": 3,
    "maxsequence": 3,
    "dictcheck": 1,
    "usercheck": 1,
    "enforcing": 1,
    "retry": 3,
    "enforce_for_root": True,
}

FAILLOCK = {
    "deny": 5,
    "fail_interval": 900,
    "unlock_time": 900,
    "even_deny_root": False,
    "root_unlock_time": 60,
    "audit": True,
    "silent": False,
}

FILE_PERMISSIONS = [
    {"path": "/etc/passwd", "owner": "root", "group": "root", "mode": "0644"},
    {"path": "/etc/passwd-", "owner": "root", "group": "root", "mode": "0644"},
    {"path": "/etc/group", "owner": "root", "group": "root", "mode": "0644"},
    {"path": "/etc/group-", "owner": "root", "group": "root", "mode": "0644"},
    {"path": "/etc/shadow", "owner": "root", "group": "shadow", "mode": "0640"},
    {"path": "/etc/shadow-", "owner": "root", "group": "shadow", "mode": "0640"},
    {"path": "/etc/gshadow", "owner": "root", "group": "shadow", "mode": "0640"},
    {"path": "/etc/gshadow-", "owner": "root", "group": "shadow", "mode": "0640"},
    {"path": "/etc/security/opasswd", "owner": "root", "group": "root", "mode": "0600"},
    {"path": "/etc/crontab", "owner": "root", "group": "root", "mode": "0600"},
    {"path": "/etc/cron.hourly", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "/etc/cron.daily", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "/etc/cron.weekly", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "/etc/cron.monthly", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "/etc/cron.yearly", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "/etc/cron.d", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "/etc/sudoers", "owner": "root", "group": "root", "mode": "0440"},
    {"path": "/etc/sudoers.d", "owner": "root", "group": "root", "mode": "0750"},
    {"path": "/etc/ssh/sshd_config", "owner": "root", "group": "root", "mode": "0600"},
    {"path": "/root", "owner": "root", "group": "root", "mode": "0700"},
    {"path": "/boot/grub/grub.cfg", "owner": "root", "group": "root", "mode": "0400"},
    {"path": "/etc/hosts.allow", "owner": "root", "group": "root", "mode": "0644"},
    {"path": "/etc/hosts.deny", "owner": "root", "group": "root", "mode": "0644"},
]

SUID_SGID_ALLOWED = [
    "/usr/bin/su",
    "/usr/bin/sudo",
    "/usr/bin/passwd",
    "/usr/bin/newgrp",
    "/usr/bin/gpasswd",
    "/usr/bin/chage",
    "/usr/bin/expiry",
    "/usr/bin/mount",
    "/usr/bin/umount",
    "/usr/bin/fusermount",
    "/usr/bin/fusermount3",
    "/usr/bin/crontab",
    "/usr/bin/at",
    "/usr/bin/wall",
    "/usr/bin/write",
    "/usr/bin/bsd-write",
    "/usr/bin/dotlockfile",
    "/usr/bin/ssh-agent",
    "/usr/sbin/unix_chkpwd",
    "/usr/sbin/pam-tmpdir-helper",
    "/usr/libexec/pam-tmpdir/pam-tmpdir-helper",
    "/usr/sbin/pam_extrausers_chkpwd",
    "/usr/lib/dbus-1.0/dbus-daemon-launch-helper",
    "/usr/lib/polkit-1/polkit-agent-helper-1",
    "/usr/libexec/polkit-agent-helper-1",
    "/usr/lib/x86_64-linux-gnu/utempter/utempter",
    "/usr/lib/aarch64-linux-gnu/utempter/utempter",
    "/usr/sbin/postdrop",
    "/usr/sbin/postqueue",
    "/usr/sbin/exim4",
]

LEGACY_PACKAGES = [
    "telnet", "telnetd", "inetutils-telnet", "inetutils-telnetd", "rsh-client", "rsh-server",
    "rsh-redone-client", "rsh-redone-server", "nis", "talk", "talkd", "tftp", "tftp-hpa", "tftpd-hpa",
    "atftpd", "ftp", "xinetd", "openbsd-inetd", "inetutils-inetd", "prelink", "avahi-daemon",
]

UPDATES_TOOLS = ["debsums", "apt-listchanges"]

BANNER_TEXT = (
    "Authorized access only. This system is monitored and all activity is logged.\n"
    "Unauthorized access is prohibited and will be reported to the authorities.\n"
)

DEFAULTS = {
    "areas": DEFAULT_AREAS,
    "container": "auto",
    "sysctl": SYSCTL,
    "sysctl_file": "/etc/sysctl.d/99-zz-ironclad-hardening.conf",
    "kernel_modules": KERNEL_MODULES,
    "mounts": MOUNTS,
    "tmp_tmpfs": True,
    "proc_hidepid": "invisible",
    "login_defs": LOGIN_DEFS,
    "password_hash_algorithm": "yescrypt",
    "pwquality": PWQUALITY,
    "faillock": FAILLOCK,
    "pam_tmpdir": True,
    "umask": "027",
    "shell_timeout": 900,
    "file_permissions": FILE_PERMISSIONS + [
        {"path": path, "owner": "root", "group": "root", "mode": "0750", "follow": True}
        for path in ("/usr/bin/as", "/usr/bin/ld", "/usr/bin/cc", "/usr/bin/c++", "/usr/bin/gcc", "/usr/bin/g++", "/usr/bin/clang")
    ],
    "suid_sgid_allowed": SUID_SGID_ALLOWED,
    "suid_sgid_roots": ["/"],
    "legacy_packages": LEGACY_PACKAGES,
    "auditd_immutable": True,
    "updates_tools": UPDATES_TOOLS,
    "banner_text": BANNER_TEXT,
    "banner_motd": True,
    "cron_allow": ["root"],
    "at_allow": ["root"],
    "remote_syslog_host": "",
    "ssh_policy": {},
}
