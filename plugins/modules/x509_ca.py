#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: x509_ca
short_description: Create or load an internal X.509 certificate authority
version_added: 0.1.0
description:
  - Creates a root CA (and optionally an intermediate CA signed by it) in a directory on the host that
    holds the CA, usually the controller; or loads and checks the CA that is already there.
  - An existing CA is never replaced. A passphrase that does not open its key, a key that does not belong
    to its certificate, or an expired CA certificate fail with a message that says what to do, and
    nothing is written.
  - Returns the CA chain, which M(ironclad.infra.x509_certificate) and M(ironclad.infra.x509_sign) take.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports the CA that would be created; writes nothing.
  diff_mode:
    support: full
    description: Shows the CA certificates that would be created.
  idempotent:
    support: full
    description: A second run loads the existing CA and changes nothing.
options:
  path:
    description:
      - Directory of the CA. Holds V(root.key), V(root.crt) and, with O(intermediate), V(intermediate.key)
        and V(intermediate.crt). Created with mode V(0700). C(~) is expanded.
    type: path
    required: true
  passphrase:
    description:
      - Passphrase that encrypts the CA private keys. Without it the keys are stored unencrypted (mode V(0600)).
    type: str
  subject:
    description:
      - Subject of the root CA, as a dictionary of V(common_name), V(organization_name),
        V(organizational_unit_name), V(country_name), V(state_or_province_name), V(locality_name),
        V(email_address).
    type: dict
    default: {common_name: Ironclad Root CA}
  key_curve:
    default: secp384r1
  key_size:
    default: 4096
  validity_days:
    description: Lifetime of the root CA certificate in days.
    type: int
    default: 3650
  path_length:
    description: Path length constraint of the root CA (V(null) = unlimited).
    type: int
  name_constraints_permitted:
    description:
      - Names the CA may sign, as V(DNS:.example.org) or V(IP:10.0.0.0/8) entries (critical NameConstraints).
    type: list
    elements: str
    default: []
  name_constraints_excluded:
    description: Names the CA must not sign, in the same form as O(name_constraints_permitted).
    type: list
    elements: str
    default: []
  intermediate:
    description: Also create an intermediate CA; it then signs all leaf certificates and the root key stays unused.
    type: bool
    default: false
  intermediate_subject:
    description: Subject of the intermediate CA (same keys as O(subject)); the common name defaults to the root's plus V( Intermediate).
    type: dict
  intermediate_validity_days:
    description: Lifetime of the intermediate CA certificate in days (never beyond the root's).
    type: int
    default: 1825
extends_documentation_fragment:
  - ironclad.infra._x509
  - ironclad.infra._x509.key
seealso:
  - module: ironclad.infra.x509_sign
  - module: ironclad.infra.x509_certificate
"""

EXAMPLES = r"""
- name: Create or load the lab CA on the controller
  ironclad.infra.x509_ca:
    path: ~/.ironclad/pki/lab
    subject:
      common_name: Lab Root CA
      organization_name: Lab
    passphrase: "{{ vault_lab_ca_passphrase }}"
    name_constraints_permitted:
      - DNS:.lab.example
      - IP:10.20.0.0/16
  delegate_to: localhost
  run_once: true
  register: lab_ca
"""

RETURN = r"""
chain:
  description: PEM certificates of the CA, the signing CA first and the root last.
  returned: success (empty in check mode when the CA does not exist yet)
  type: list
  elements: str
root_certificate:
  description: PEM of the root CA certificate (the trust anchor).
  returned: success
  type: str
certificate:
  description: PEM of the CA certificate that signs leaf certificates (the intermediate when there is one).
  returned: success
  type: str
fingerprint_sha256:
  description: SHA-256 fingerprint of the root CA certificate.
  returned: when the CA exists
  type: str
  sample: "3A:1F:..."
not_after:
  description: Expiry of the signing CA certificate.
  returned: when the CA exists
  type: str
  sample: "2035-01-01T00:00:00Z"
days_until_expiry:
  description: Whole days until the signing CA certificate expires.
  returned: when the CA exists
  type: int
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._pki.backend import ERRORS, REQUIRED_LIBRARY, CaBackend
from ansible_collections.ironclad.infra.plugins.module_utils._pki.spec import CA_ARGUMENT_SPEC


def main():
    run_module(CA_ARGUMENT_SPEC, CaBackend, ERRORS, required_library=REQUIRED_LIBRARY)


if __name__ == "__main__":
    main()
