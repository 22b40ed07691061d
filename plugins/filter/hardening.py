# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the os_hardening role's wiring that share their data with ``ironclad.infra.hardening_audit``:
the control areas (one list, ``module_utils/_hardening/areas.py``) and the composition of the sysctl settings.

Documentation: one YAML file per filter beside this one (``ansible-doc -t filter ironclad.infra.NAME``).
"""

from __future__ import annotations

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.module_utils._hardening import areas

_AREA_LISTS = {"role": areas.ROLE_AREAS, "audit": areas.AREAS}


def hardening_areas(which):
    """The control areas, in the order the role applies them: ``role`` (os_hardening's) or ``audit`` (those and ssh)."""
    if which not in _AREA_LISTS:
        raise AnsibleFilterError("ironclad.infra.hardening_areas: the input must be role or audit, got %r" % (which,))
    return list(_AREA_LISTS[which])


def _mapping(value, name):
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AnsibleFilterError("ironclad.infra.hardening_sysctl_settings: %s must be a dict of sysctl keys to values, got %r"
                                 % (name, value))
    return value


def hardening_sysctl_settings(network, kernel, ip_forwarding, ipv6_router_advertisements, extra=None):
    """The os_hardening role's sysctl settings (see ``areas.sysctl_settings``), as the audit expects them."""
    return areas.sysctl_settings(_mapping(network, "the input"), _mapping(kernel, "kernel"), ip_forwarding,
                                 ipv6_router_advertisements, _mapping(extra, "extra"))


class FilterModule:
    def filters(self):
        return {"hardening_areas": hardening_areas, "hardening_sysctl_settings": hardening_sysctl_settings}
