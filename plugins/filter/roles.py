# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the roles share for their own wiring: which layered OS variable files apply to a host.

Documentation: one YAML file per filter beside this one (``ansible-doc -t filter ironclad.infra.NAME``).
"""

from __future__ import annotations

__metaclass__ = type

import os
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def os_vars_files(role_path, facts):
    """The role's OS variable files that exist, most general first: ``vars/<os_family>.yml``, then
    ``vars/<distribution>.yml``, then ``vars/<distribution>_<major version>.yml``. Facts that were not
    gathered leave their layer out (only ``vars/main.yml`` then applies, which Ansible loads itself)."""
    if not isinstance(role_path, str) or not role_path:
        raise AnsibleFilterError("os_vars_files: the input must be the role's path (role_path), got %r" % (role_path,))
    if facts is None:
        facts = {}
    if not isinstance(facts, Mapping):
        raise AnsibleFilterError("os_vars_files: the argument must be ansible_facts (a dictionary), got %r" % (facts,))
    family, distribution = facts.get("os_family"), facts.get("distribution")
    major = facts.get("distribution_major_version")
    names = [family, distribution, "%s_%s" % (distribution, major) if distribution and major else None]
    paths = []
    for name in names:
        path = os.path.join(role_path, "vars", "%s.yml" % name)
        if name and os.path.isfile(path) and path not in paths:
            paths.append(path)
    return paths


class FilterModule:
    def filters(self):
        return {"os_vars_files": os_vars_files}
