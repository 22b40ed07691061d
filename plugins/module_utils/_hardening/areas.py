# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data: the control areas of the ``os_hardening`` role and of ``ironclad.infra.hardening_audit``, the one
list of them, in the order the role applies them, with whether each is on by default; and how the role
composes its sysctl settings, which the audit expects in the same composition.

The role reads the list through the filter ``ironclad.infra.hardening_areas`` (its switch table in
``vars/main.yml``) and its sysctl settings through ``ironclad.infra.hardening_sysctl_settings``; the audit
derives its default areas from it (:mod:`.audit_defaults`). What YAML must spell out literally (the tags
in ``tasks/main.yml``, the ``os_hardening_<area>_enabled`` switches in ``defaults/main.yml`` and
``meta/argument_specs.yml``, the area names in the audit module's documentation) is compared with this
list by a unit test.
"""

from __future__ import annotations

__metaclass__ = type

# (area, on by default)
_ROLE_AREAS = (
    ("sysctl", True),
    ("kernel_modules", True),
    ("mounts", True),
    ("login_defs", True),
    ("pam", True),
    ("core_dumps", True),
    ("umask", True),
    ("file_permissions", True),
    ("suid_sgid", True),
    ("legacy_packages", True),
    ("auditd", True),
    ("aide", True),
    ("updates", True),
    ("rootkit_scan", True),
    ("accounting", True),
    ("banners", True),
    ("time_sync", True),
    ("cron", True),
    ("fail2ban", True),
    ("remote_syslog", False),
)

ROLE_AREAS = tuple(area for area, _default in _ROLE_AREAS)
"""The areas of the os_hardening role, each with a switch ``os_hardening_<area>_enabled`` and a tag ``os_hardening_<area>``."""

AUDIT_ONLY_AREAS = ("ssh",)
"""Areas the audit evaluates that the os_hardening role does not apply (sshd: role ssh_hardening)."""

AREAS = ROLE_AREAS + AUDIT_ONLY_AREAS
"""Every area of the audit."""

DEFAULT_AREAS = dict(_ROLE_AREAS, **{area: True for area in AUDIT_ONLY_AREAS})
"""Area -> on by default."""

# The sysctls of the two switches, set whatever the parameter dicts say (before os_hardening_sysctl_extra).
FORWARDING_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")
ROUTER_ADVERTISEMENT_SYSCTLS = ("net.ipv6.conf.all.accept_ra", "net.ipv6.conf.default.accept_ra")


def sysctl_settings(network, kernel, ip_forwarding, ipv6_router_advertisements, extra=None):
    """The role's sysctl settings: the network parameters, then the kernel ones, then IP forwarding and IPv6
    router advertisements as 1/0 from their switches, then ``extra``; a later key wins over an earlier one."""
    settings = dict(network or {})
    settings.update(kernel or {})
    settings.update((key, 1 if ip_forwarding else 0) for key in FORWARDING_SYSCTLS)
    settings.update((key, 1 if ipv6_router_advertisements else 0) for key in ROUTER_ADVERTISEMENT_SYSCTLS)
    settings.update(extra or {})
    return settings
