#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ssh_certificate
short_description: Keep CA-signed certificates for a host's SSH host keys
version_added: 0.1.0
description:
  - Runs on the host. For every key type of O(key_types) reads C(ssh_host_<type>_key.pub) and its
    certificate C(ssh_host_<type>_key-cert.pub), and decides whether the key must be (re-)signed, that is when there is no
    certificate, another key, another CA, other principals, or fewer than O(renew_before_days) days left.
    Never otherwise.
  - Returns the public keys to sign (RV(requests)); M(ironclad.infra.ssh_ca) signs them on the CA host, and
    a second call with O(certificates) installs the certificates after checking key, CA and type.
  - Needs no cryptography library on the host (the certificate format is parsed in plain Python).
    The sshd configuration (C(HostCertificate), C(TrustedUserCAKeys)) is left to the caller (the
    P(ironclad.infra.pki#role) role writes a drop-in).
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports the host keys that would be signed and why; writes nothing.
  diff_mode:
    support: full
    description: Shows the certificate lines before and after.
  idempotent:
    support: full
    description: A second run changes nothing until the renewal window opens or the principals or the CA change.
options:
  key_types:
    description: Host key types to certify.
    type: list
    elements: str
    choices: [ed25519, ecdsa, rsa]
    default: [ed25519]
  principals:
    description: Names clients use to reach the host (inventory name, FQDN, addresses).
    type: list
    elements: str
    required: true
  ca_public_keys:
    description:
      - Public key lines of the SSH CA, the signing one first. A certificate signed by another key is re-issued.
        May be empty only in check mode, before the CA exists.
    type: list
    elements: str
    required: true
  renew_before_days:
    description: Re-sign when fewer than this many days of the certificate's lifetime remain.
    type: int
    default: 30
  certificates:
    description: Certificates to install, keyed by key type (OpenSSH certificate lines from M(ironclad.infra.ssh_ca)).
    type: dict
  ssh_dir:
    description: Directory of the host keys.
    type: path
    default: /etc/ssh
  certificate_mode:
    description: Mode of the certificate files.
    type: raw
    default: "0644"
seealso:
  - module: ironclad.infra.ssh_ca
"""

EXAMPLES = r"""
- name: Which host keys need a certificate?
  ironclad.infra.ssh_certificate:
    principals: ["{{ inventory_hostname }}", "{{ ansible_facts.fqdn }}"]
    ca_public_keys: ["{{ ssh_ca.public_key }}"]
  register: host_ssh

- name: Install the certificates the CA signed
  ironclad.infra.ssh_certificate:
    principals: ["{{ inventory_hostname }}", "{{ ansible_facts.fqdn }}"]
    ca_public_keys: ["{{ ssh_ca.public_key }}"]
    certificates:
      ed25519: "{{ signed.certificates[inventory_hostname ~ '/ed25519'] }}"
  when: host_ssh.sign_required
"""

RETURN = r"""
sign_required:
  description: Whether a host key needs a (new) certificate.
  returned: always
  type: bool
requests:
  description: The host keys to sign, each with C(key_type), C(public_key), C(principals) and C(reasons).
  returned: always
  type: list
  elements: dict
reasons:
  description: Why, per key type.
  returned: always
  type: dict
certificates:
  description: Facts of the certificates in place, per key type (principals, validity, fingerprints).
  returned: always
  type: dict
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.cert_backend import ERRORS, SshCertificateBackend
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.spec import CERTIFICATE_ARGUMENT_SPEC


def parameter_error(module):
    # Check mode may run before the CA exists (no key yet); a real run cannot judge certificates without it.
    if not module.params["ca_public_keys"] and not module.check_mode:
        return "ca_public_keys is empty; pass the public_key returned by ironclad.infra.ssh_ca"
    return None


def main():
    run_module(CERTIFICATE_ARGUMENT_SPEC, SshCertificateBackend, ERRORS, precheck=parameter_error)


if __name__ == "__main__":
    main()
