#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ssh_ca
short_description: Keep an SSH certificate authority and sign host or user keys with it
version_added: 0.1.0
description:
  - Runs on the host that holds the SSH CA (usually the controller). Creates an ed25519 CA key in
    O(path) when there is none (V(ssh_ca), V(ssh_ca.pub)), or loads the existing one; a passphrase that
    does not open it fails and nothing is signed.
  - Signs every public key of O(requests) in one call and returns the OpenSSH certificates. Clients that
    trust the CA (a V(@cert-authority) line in C(known_hosts)) accept host certificates without
    trust-on-first-use; hosts that list the CA in C(TrustedUserCAKeys) accept user certificates.
author:
  - ironclad.infra contributors (@ironclad)
requirements:
  - cryptography >= 40 (its SSHCertificateBuilder)
attributes:
  check_mode:
    support: full
    description: Reports the CA key that would be made and the keys that would be signed.
  diff_mode:
    support: full
    description: Shows the principals of each certificate to be signed.
  idempotent:
    support: partial
    description: The CA key is made once; every request given is signed (pass only the keys that need it).
options:
  path:
    description: Directory of the SSH CA (created with mode V(0700)).
    type: path
    required: true
  passphrase:
    description: Passphrase of the CA private key.
    type: str
  comment:
    description: Comment of the CA public key line.
    type: str
    default: ironclad-ssh-ca
  type:
    description: Default certificate type of the requests.
    type: str
    choices: [host, user]
    default: host
  validity_days:
    description: Default lifetime of the certificates in days.
    type: int
    default: 365
  requests:
    description: Public keys to sign.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the request; becomes the certificate's key id and keys RV(certificates).
        type: str
        required: true
      public_key:
        description: OpenSSH public key line (C(ssh-ed25519 AAAA... comment)).
        type: str
        required: true
      principals:
        description: Host names (host certificates) or user names (user certificates) the certificate is valid for.
        type: list
        elements: str
        required: true
      type:
        description: Certificate type; defaults to O(type).
        type: str
        choices: [host, user]
      validity_days:
        description: Lifetime; defaults to O(validity_days).
        type: int
seealso:
  - module: ironclad.infra.ssh_certificate
"""

EXAMPLES = r"""
- name: Sign the host keys of all hosts on the controller
  ironclad.infra.ssh_ca:
    path: ~/.ironclad/pki/lab/ssh
    requests:
      - name: web1/ed25519
        public_key: "{{ web1_host_key }}"
        principals: [web1, web1.lab.example]
  delegate_to: localhost
  run_once: true
  register: ssh_ca
"""

RETURN = r"""
public_key:
  description: The CA public key line, for C(@cert-authority) lines and C(TrustedUserCAKeys).
  returned: success (null in check mode before the CA exists)
  type: str
certificates:
  description: OpenSSH certificate lines keyed by request name. Empty in check mode.
  returned: success
  type: dict
signed:
  description: Names of the requests signed (or that would be in check mode).
  returned: success
  type: list
  elements: str
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.cert_backend import ERRORS, SshCaBackend
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.spec import CA_ARGUMENT_SPEC


def main():
    run_module(CA_ARGUMENT_SPEC, SshCaBackend, ERRORS)


if __name__ == "__main__":
    main()
