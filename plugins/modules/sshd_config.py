#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sshd_config
short_description: Render, validate and install the OpenSSH server configuration, host keys and moduli
version_added: 0.1.0
description:
  - Renders the complete C(sshd_config) from O(settings) in a fixed layout, so the same settings always
    give the same file.
  - Manages the host keys (generates missing or weak ones, removes other types), filters small
    Diffie-Hellman groups out of the moduli file and writes the login banner, all in one call.
  - Nothing changes unless the whole candidate passes C(sshd -T) (the extended form of C(sshd -t)) with
    the new host keys in place, sshd's effective values equal the wanted ones (an included file cannot
    silently win), and the lockout guard finds that the connecting user can still log in.
  - Does not reload sshd; notify a handler when RV(ignore:changed) is true.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    description: Validates the candidate and reports what would change; writes nothing.
    support: full
    details: New host keys are generated into a temporary directory to validate the candidate, then discarded.
  diff_mode:
    description: Returns the differences, keyed by setting.
    support: full
    details: Keys look like V(sshd_config.PasswordAuthentication) or V(host_keys./etc/ssh/ssh_host_rsa_key).
  idempotent:
    description: A second run with the same options changes nothing.
    support: full
options:
  path:
    description: The sshd configuration file to manage.
    type: path
    default: /etc/ssh/sshd_config
  mode:
    description: File mode of O(path), as an octal string.
    type: str
    default: "0600"
  settings:
    description:
      - sshd keywords and their values. Booleans become V(yes)/V(no); lists of algorithm keywords
        (C(KexAlgorithms), C(Ciphers), C(MACs), ...) are comma-joined; C(Port), C(ListenAddress),
        C(HostKey) and C(Subsystem) lists give one line per item; other lists are space-joined.
      - A V(null) value or an empty list leaves the keyword out.
      - C(HostKey) defaults to the paths of O(host_keys); C(Banner) to O(banner.path).
    type: dict
    required: true
  include:
    description:
      - Paths or globs rendered as C(Include) lines after the global settings, so included files may add
        settings but cannot override managed ones (sshd keeps the first value it reads).
    type: list
    elements: str
    default: []
  match_blocks:
    description: C(Match) blocks, rendered last in the given order.
    type: list
    elements: dict
    default: []
    suboptions:
      criteria:
        description: The Match criteria, for example V(User backup) or V(Address 10.0.0.0/8).
        type: str
        required: true
      settings:
        description: Settings inside the block, rendered like O(settings).
        type: dict
        required: true
  header:
    description: Comment lines written at the top of the file, after the "managed by" line.
    type: list
    elements: str
    default: []
  host_keys:
    description:
      - Host keys sshd should use. A missing key, a key of another type and an RSA key smaller than
        O(host_keys[].size) are (re)generated with C(ssh-keygen).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path of the private key; the public key is O(host_keys[].path) + C(.pub).
        type: path
        required: true
      type:
        description: Key type.
        type: str
        required: true
        choices: [ed25519, rsa]
      size:
        description: Minimum (and generated) size in bits for RSA keys.
        type: int
        default: 3072
  remove_other_host_keys:
    description: Remove host keys that match O(host_key_glob) and are not in O(host_keys) (for example ECDSA and DSA).
    type: bool
    default: false
  host_key_glob:
    description: Where O(remove_other_host_keys) looks for host keys.
    type: str
    default: /etc/ssh/ssh_host_*_key
  moduli:
    description: Remove Diffie-Hellman groups smaller than O(moduli.min_bits) from the moduli file.
    type: dict
    suboptions:
      path:
        description: The moduli file.
        type: path
        default: /etc/ssh/moduli
      min_bits:
        description: Smallest group size kept.
        type: int
        default: 3072
  banner:
    description: Login banner file written with O(banner.content) (not managed when O(banner.content) is V(null)).
    type: dict
    suboptions:
      path:
        description: Banner file; also the default of the C(Banner) setting.
        type: path
        required: true
      content:
        description: Banner text.
        type: str
  validate:
    description:
      - Run C(sshd -T -f <candidate>) and compare sshd's effective values with O(settings) before changing
        anything. The lockout guard runs C(sshd -T -C user=...) on the candidate either way.
    type: bool
    default: true
  sshd_path:
    description: The sshd binary (looked up in C(PATH), C(/usr/sbin) and C(/usr/local/sbin)).
    type: str
    default: sshd
  lockout_guard:
    description:
      - Refuse a configuration that would lock out the user Ansible connects as. Checked when the
        configuration changes and the connection logs in through sshd.
    type: dict
    suboptions:
      enabled:
        description: Run the guard.
        type: bool
        default: true
      connection:
        description:
          - The Ansible connection plugin of this run (C(ansible_connection)). For connections that do not
            log in through sshd (docker, local, ...) the guard is skipped and the reason returned.
        type: str
        default: ssh
      user:
        description: The connecting user. Default is C(SUDO_USER) of the module's environment, else the user it runs as.
        type: str
      client_address:
        description: The controller's address as the host sees it. Default is taken from C(SSH_CONNECTION) when set.
        type: str
      client_algorithms:
        description:
          - Algorithms the controller's SSH client supports, so a key exchange it cannot speak is refused.
        type: dict
        suboptions:
          kex:
            description: Output of C(ssh -Q kex) on the controller.
            type: list
            elements: str
          ciphers:
            description: Output of C(ssh -Q cipher) on the controller.
            type: list
            elements: str
          macs:
            description: Output of C(ssh -Q mac) on the controller.
            type: list
            elements: str
      force:
        description: Apply even when the guard finds a problem (a warning is still returned).
        type: bool
        default: false
seealso:
  - plugin: ironclad.infra.ssh_algorithms
    plugin_type: filter
  - plugin: ironclad.infra.ssh_algorithm_problems
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Harden sshd in one call (validated with sshd -T before anything changes)
  ironclad.infra.sshd_config:
    settings: "{{ {'PermitRootLogin': 'no', 'PasswordAuthentication': false, 'LogLevel': 'VERBOSE'}
                  | combine('9.2' | ironclad.infra.ssh_algorithms) }}"
    include: [/etc/ssh/sshd_config.d/*.conf]
    host_keys:
      - {path: /etc/ssh/ssh_host_ed25519_key, type: ed25519}
      - {path: /etc/ssh/ssh_host_rsa_key, type: rsa, size: 3072}
    remove_other_host_keys: true
    moduli:
      min_bits: 3072
    banner:
      path: /etc/ssh/sshd-banner
      content: Authorised access only.
    lockout_guard:
      connection: "{{ ansible_connection | default('ssh') }}"
  notify: Reload sshd
"""

RETURN = r"""
actions:
  description: What was (or in check mode would be) done, one sentence each.
  returned: always
  type: list
  elements: str
  sample: ["remove host key /etc/ssh/ssh_host_ecdsa_key", "write /etc/ssh/sshd_config (PasswordAuthentication)"]
path:
  description: The managed configuration file.
  returned: always
  type: str
host_keys:
  description: Each host key with its type, size and V(kept), V(generated), V(regenerated) or V(removed).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/etc/ssh/ssh_host_ed25519_key", "type": "ed25519", "bits": 256, "action": "kept"}]
moduli:
  description: Groups kept and removed from the moduli file.
  returned: when O(moduli) is set
  type: dict
  sample: {"path": "/etc/ssh/moduli", "kept": 201, "removed": 166}
effective:
  description: The verified keywords as C(sshd -T) reports them for the new configuration.
  returned: when O(validate=true)
  type: dict
lockout_guard:
  description: Whether the guard ran, for which user, why not, and what it found.
  returned: always
  type: dict
  sample: {"checked": false, "user": null, "problems": [], "notes": [],
           "reason": "connection 'community.docker.docker' does not log in through sshd, so this run cannot lock itself out; guard skipped"}
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.spec import SSHD_CONFIG_ARGUMENT_SPEC
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.sshd_config_backend import SshdConfigBackend


def parameter_error(module):
    """The file mode stays a string in the spec (YAML would read 0600 as the number 384)."""
    try:
        int(module.params["mode"], 8)
    except ValueError:
        return "mode must be an octal string such as '0600', got %r" % module.params["mode"]
    return None


def main():
    # SshdConfigBackend ends a failed run itself (module.fail_json), so it names no errors here.
    run_module(SSHD_CONFIG_ARGUMENT_SPEC, SshdConfigBackend, precheck=parameter_error)


if __name__ == "__main__":
    main()
