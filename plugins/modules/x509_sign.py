#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: x509_sign
short_description: Sign a batch of certificate signing requests with an internal CA
version_added: 0.1.0
description:
  - Runs on the host that holds the CA (made by M(ironclad.infra.x509_ca)) and signs every request of
    O(requests) in one call, so issuing certificates for a hundred hosts costs one module run on the CA
    host instead of one per host.
  - The CA decides the names. The SANs of a request come from its O(requests[].subject_alt_names) (the
    inventory), not from what the CSR asks for. Every request is checked before anything is signed; an
    invalid SAN, a CSR with a bad signature, a SAN outside the CA's name constraints, a CA passphrase that
    does not open the key or an expired CA fail with a message naming the request or the file.
  - Nothing is written on the CA host; the certificates are returned.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: In check mode the requests are validated and reported, but not signed.
  diff_mode:
    support: full
    description: Shows the names of every certificate to be issued.
  idempotent:
    support: none
    description: Every request given is signed; the caller passes only the requests that need a certificate.
options:
  ca_path:
    description: Directory of the CA, as given to M(ironclad.infra.x509_ca) O(ironclad.infra.x509_ca#module:path).
    type: path
    required: true
  passphrase:
    description: Passphrase of the CA key.
    type: str
  requests:
    description: Certificate requests to sign.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the request (usually the inventory host); keys the returned RV(certificates).
        type: str
        required: true
      csr:
        description: PEM certificate signing request, as returned by M(ironclad.infra.x509_certificate).
        type: str
        required: true
      subject_alt_names:
        description: SANs of the certificate (V(DNS:name), V(IP:address) or bare values). Defaults to the CSR's.
        type: list
        elements: str
      validity_days:
        description: Lifetime of this certificate; defaults to O(validity_days).
        type: int
      extended_key_usage:
        description: Extended key usages of this certificate; defaults to O(extended_key_usage).
        type: list
        elements: str
  validity_days:
    description: Lifetime of issued certificates in days (never beyond the CA's).
    type: int
    default: 365
extends_documentation_fragment:
  - ironclad.infra._x509
  - ironclad.infra._x509.extended_key_usage
seealso:
  - module: ironclad.infra.x509_ca
  - module: ironclad.infra.x509_certificate
"""

EXAMPLES = r"""
- name: Make keys and CSRs on every host
  ironclad.infra.x509_certificate:
    privatekey_path: /etc/ironclad/pki/host.key
    certificate_path: /etc/ironclad/pki/host.crt
    subject_alt_names: ["{{ inventory_hostname }}"]
    ca_chain: "{{ lab_ca.chain }}"
  register: host_cert

- name: Sign all CSRs in one call on the CA host
  ironclad.infra.x509_sign:
    ca_path: ~/.ironclad/pki/lab
    requests: "{{ ansible_play_hosts | ironclad.infra.x509_sign_requests(hostvars, 'host_cert') }}"
  delegate_to: localhost
  run_once: true
  register: signed

- name: Install the certificates
  ironclad.infra.x509_certificate:
    privatekey_path: /etc/ironclad/pki/host.key
    certificate_path: /etc/ironclad/pki/host.crt
    subject_alt_names: ["{{ inventory_hostname }}"]
    ca_chain: "{{ lab_ca.chain }}"
    certificate: "{{ signed.certificates[inventory_hostname] }}"
  when: inventory_hostname in signed.certificates
"""

RETURN = r"""
certificates:
  description: Issued certificates (PEM), keyed by request name. Empty in check mode.
  returned: success
  type: dict
issued:
  description: Names of the requests that were (or in check mode would be) signed.
  returned: success
  type: list
  elements: str
chain:
  description: PEM certificates of the CA chain, signing CA first.
  returned: success
  type: list
  elements: str
actions:
  description: One line per certificate issued.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._pki.backend import ERRORS, REQUIRED_LIBRARY, SignBackend
from ansible_collections.ironclad.infra.plugins.module_utils._pki.spec import SIGN_ARGUMENT_SPEC


def main():
    run_module(SIGN_ARGUMENT_SPEC, SignBackend, ERRORS, required_library=REQUIRED_LIBRARY)


if __name__ == "__main__":
    main()
