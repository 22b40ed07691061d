# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH filters: choose and check OpenSSH algorithms for a detected version.

Documentation: plugins/filter/ssh_algorithms.yml and plugins/filter/ssh_algorithm_problems.yml.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.algorithms import SshAlgorithmError, algorithm_problems, choose_algorithms

__metaclass__ = type


def ssh_algorithms(version, classic_fallback=False, allow_weak=False, kex=None, ciphers=None, macs=None,
                   host_key_algorithms=None, pubkey_accepted_algorithms=None, ca_signature_algorithms=None):
    """sshd algorithm settings for OpenSSH ``version``; explicit lists replace the defaults."""
    overrides = {
        "kex": kex,
        "ciphers": ciphers,
        "macs": macs,
        "host_key_algorithms": host_key_algorithms,
        "pubkey_accepted_algorithms": pubkey_accepted_algorithms,
        "ca_signature_algorithms": ca_signature_algorithms,
    }
    try:
        return choose_algorithms(version, classic_fallback=bool(classic_fallback), overrides=overrides,
                                 allow_weak=bool(allow_weak))
    except SshAlgorithmError as exc:
        raise AnsibleFilterError("ssh_algorithms: %s" % exc) from exc


def ssh_algorithm_problems(names, kind, version=None, allow_weak=False):
    """Problems (unknown, unsupported by ``version``, weak) of an algorithm list; empty when fine."""
    try:
        return algorithm_problems(names, kind, version=version, allow_weak=bool(allow_weak))
    except SshAlgorithmError as exc:
        raise AnsibleFilterError("ssh_algorithm_problems: %s" % exc) from exc


class FilterModule:
    """ironclad.infra SSH filters."""

    def filters(self):
        return {
            "ssh_algorithms": ssh_algorithms,
            "ssh_algorithm_problems": ssh_algorithm_problems,
        }
