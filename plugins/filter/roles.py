# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the roles share for their own wiring: which layered OS variable files apply to a host, and
whether the host is a platform the collection supports at all.

Documentation: one YAML file per filter beside this one (``ansible-doc -t filter ironclad.infra.NAME``).
"""

from __future__ import annotations

__metaclass__ = type

import os
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# What the collection is tested on (Debian 12 and 13), and the oldest Python its modules run on
# (they use datetime.UTC, new in 3.11). Debian 12 ships 3.11, Debian 13 3.13.
SUPPORTED_RELEASES = {"Debian": ("12", "13")}
MINIMUM_PYTHON = (3, 11)
OVERRIDE_VARIABLE = "ironclad_allow_unsupported_platforms"


def platform_problems(facts):
    """Why the host described by ``facts`` is outside what the collection supports ([] when it is not).

    Facts that were not gathered are not judged (nothing is known about them).
    """
    problems = []
    distribution, major = facts.get("distribution"), facts.get("distribution_major_version")
    if distribution:
        releases = SUPPORTED_RELEASES.get(distribution)
        if releases is None or (major and str(major) not in releases):
            problems.append("%s %s is not supported (supported: %s)" % (
                distribution, major or "", ", ".join("%s %s" % (name, " and ".join(majors))
                                                     for name, majors in SUPPORTED_RELEASES.items())))
    version = (facts.get("python") or {}).get("version") or {}
    if "major" in version and "minor" in version:
        found = (int(version["major"]), int(version["minor"]))
        if found < MINIMUM_PYTHON:
            problems.append("the host's Python %d.%d is too old (the modules need %d.%d or newer)" % (found + MINIMUM_PYTHON))
    return problems


def os_vars_files(role_path, facts, allow_unsupported=False):
    """The role's OS variable files that exist, most general first: ``vars/<os_family>.yml``, then
    ``vars/<distribution>.yml``, then ``vars/<distribution>_<major version>.yml``. Facts that were not
    gathered leave their layer out (only ``vars/main.yml`` then applies, which Ansible loads itself).

    Every role calls it first, before any change, so it also refuses a host the collection does not
    support (:func:`platform_problems`), unless ``allow_unsupported`` (the inventory's
    ``ironclad_allow_unsupported_platforms``) says to try anyway."""
    if not isinstance(role_path, str) or not role_path:
        raise AnsibleFilterError("os_vars_files: the input must be the role's path (role_path), got %r" % (role_path,))
    if facts is None:
        facts = {}
    if not isinstance(facts, Mapping):
        raise AnsibleFilterError("os_vars_files: the argument must be ansible_facts (a dictionary), got %r" % (facts,))
    problems = platform_problems(facts)
    if problems and not allow_unsupported:
        raise AnsibleFilterError(
            "%s: unsupported platform, nothing was changed: %s. Set %s: true to run at your own risk (untested)."
            % (os.path.basename(os.path.normpath(role_path)), "; ".join(problems), OVERRIDE_VARIABLE))
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
