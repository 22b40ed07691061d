#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: x509_certificate
short_description: Keep a host's private key and CA-signed certificate, chain, bundle and PKCS#12 keystore
version_added: 0.1.0
description:
  - Runs on the host that uses the certificate. Makes the private key there if it is missing; the key
    never leaves the host. Decides whether the certificate must be (re-)issued, that is when it is missing, has
    fewer than O(renew_before_days) days left, carries other SANs or extended key usages than wanted, does
    not belong to the key, or was not issued by the CA in O(ca_chain). Never otherwise.
  - When a certificate must be issued and O(certificate) is not given, returns a CSR (RV(csr)) with
    RV(issue_required=true) and the reasons. The CSR is signed on the CA host by M(ironclad.infra.x509_sign)
    and the certificate passed back in O(certificate), which installs it after checking that it belongs to
    the key, carries the wanted SANs and was issued by the CA.
  - With a valid certificate (the current one or the given one) writes the certificate, the CA chain, a
    full chain (certificate + CA chain), a combined PEM bundle (key + full chain, as HAProxy wants it),
    the root CA certificate and a PKCS#12 keystore (key + certificate + CA chain, as Java services want
    it), each only when its path is set. Files are written atomically and only when their content,
    mode or owner differ.
  - Check mode and diff report what would be generated, issued or written, and why.
  - After a run that leaves a valid certificate, a state record C(.<certificate file name>.state.json)
    (mode V(0600)) beside the certificate holds a digest of the parameters, the expiry and the checksum,
    mode and owner of every managed file. The module's action plugin compares it with the host's files
    through one shell command (C(cat), C(sha256sum), C(stat)) and skips the module only when nothing
    would change; on any difference, or when the certificate enters its renewal window, the module runs.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports the key that would be generated, the certificate that would be issued and why, and the files that would be written.
  diff_mode:
    support: full
    description: Shows the certificate before and after (subject, issuer, serial, expiry, SANs) and each file that changes; secret contents are masked.
  idempotent:
    support: full
    description: A second run changes nothing until the renewal window opens or the SANs or the CA change.
options:
  privatekey_path:
    description: Path of the private key (PEM, PKCS#8, unencrypted, mode O(privatekey_mode)).
    type: path
    required: true
  certificate_path:
    description: Path of the certificate (PEM).
    type: path
    required: true
  chain_path:
    description: Path of the CA chain (signing CA first, root last).
    type: path
  fullchain_path:
    description: Path of the full chain (certificate followed by the CA chain).
    type: path
  bundle_path:
    description: Path of the combined PEM bundle (private key followed by the full chain), mode O(privatekey_mode).
    type: path
  ca_certificate_path:
    description: Path where the root CA certificate is written.
    type: path
  pkcs12_path:
    description: Path of the PKCS#12 keystore (key, certificate and CA chain), mode O(privatekey_mode).
    type: path
  pkcs12_passphrase:
    description: Passphrase of the PKCS#12 keystore. Without one the keystore is not encrypted (protect it by its mode).
    type: str
  pkcs12_friendly_name:
    description: Friendly name (alias) of the key entry in the PKCS#12 keystore.
    type: str
  key_curve:
    default: secp256r1
  key_size:
    default: 3072
  subject:
    description:
      - Subject of the CSR as a dictionary (V(common_name), V(organization_name), ...). The common name
        defaults to the first DNS name of O(subject_alt_names).
    type: dict
  subject_alt_names:
    description:
      - Names of the certificate, as V(DNS:name), V(IP:address), V(email:address), V(URI:uri) or bare
        values (an address if it parses as one, otherwise a DNS name). An entry that is neither fails.
    type: list
    elements: str
    required: true
  renew_before_days:
    description: Re-issue the certificate when fewer than this many days of its lifetime remain.
    type: int
    default: 30
  ca_chain:
    description:
      - PEM certificates of the CA, signing CA first (RV(ironclad.infra.x509_ca#module:chain) of
        M(ironclad.infra.x509_ca)). May be empty only in check mode, when the CA does not exist yet.
    type: list
    elements: str
    required: true
  certificate:
    description: A certificate (PEM) signed by the CA for this key, to install.
    type: str
  owner:
    description: Owner of the private key, bundle and keystore (certificates belong to the user running the module).
    type: str
  group:
    description: Group of the private key, bundle and keystore.
    type: str
  privatekey_mode:
    description: Mode of the private key, bundle and keystore.
    type: raw
    default: "0600"
  certificate_mode:
    description: Mode of the certificate, chain, full chain and CA certificate files.
    type: raw
    default: "0644"
extends_documentation_fragment:
  - ironclad.infra._x509
  - ironclad.infra._x509.key
  - ironclad.infra._x509.extended_key_usage
seealso:
  - module: ironclad.infra.x509_ca
  - module: ironclad.infra.x509_sign
"""

EXAMPLES = r"""
- name: Make the key, and a CSR when a certificate must be issued
  ironclad.infra.x509_certificate: &cert
    privatekey_path: /etc/ironclad/pki/host.key
    certificate_path: /etc/ironclad/pki/host.crt
    chain_path: /etc/ironclad/pki/chain.crt
    fullchain_path: /etc/ironclad/pki/fullchain.crt
    bundle_path: /etc/ironclad/pki/host.bundle.pem
    pkcs12_path: /etc/ironclad/pki/host.p12
    ca_certificate_path: /etc/ironclad/pki/ca.crt
    subject_alt_names:
      - "{{ inventory_hostname }}"
      - "{{ ansible_facts.fqdn }}"
      - "IP:{{ ansible_facts.default_ipv4.address }}"
    renew_before_days: 30
    ca_chain: "{{ lab_ca.chain }}"
  register: host_cert

- name: Sign on the CA host
  ironclad.infra.x509_sign:
    ca_path: ~/.ironclad/pki/lab
    requests:
      - name: "{{ inventory_hostname }}"
        csr: "{{ host_cert.csr }}"
        subject_alt_names: "{{ host_cert.subject_alt_names }}"
  delegate_to: localhost
  when: host_cert.issue_required
  register: signed

- name: Install the certificate
  ironclad.infra.x509_certificate:
    <<: *cert
    certificate: "{{ signed.certificates[inventory_hostname] }}"
  when: host_cert.issue_required
"""

RETURN = r"""
issue_required:
  description: Whether a certificate must be issued; RV(csr) then holds the request (unless the key is still missing in check mode).
  returned: always
  type: bool
reasons:
  description: Why the certificate must be issued (missing, renewal window, SANs changed, CA changed, ...).
  returned: always
  type: list
  elements: str
  sample: ["it expires on 2026-01-01T00:00:00Z, 12 days from now, inside the renewal window of 30 days"]
csr:
  description: PEM certificate signing request for the host's key with the wanted SANs.
  returned: when RV(issue_required)
  type: str
subject_alt_names:
  description: The wanted SANs in canonical form (V(DNS:name), V(IP:address)).
  returned: always
  type: list
  elements: str
certificate:
  description: Facts of the certificate in place after this run (see the P(ironclad.infra.x509_info#filter) filter).
  returned: when a valid certificate is in place
  type: dict
actions:
  description: What was done (or would be done in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._pki.backend import CRYPTOGRAPHY_IMPORT_ERROR, ERRORS, REQUIRED_LIBRARY, CertificateBackend
from ansible_collections.ironclad.infra.plugins.module_utils._pki.spec import CERTIFICATE_ARGUMENT_SPEC


def answer_check_mode_without_library(module):
    """A fresh host in check mode: the package task before this one did not really install the library.

    Ends the run with what a real run would do instead of failing on the missing library (the runner
    calls this before its library check). Returns None otherwise.
    """
    if CRYPTOGRAPHY_IMPORT_ERROR is not None and module.check_mode:
        reason = "python3-cryptography is not installed yet, so nothing can be checked; a real run makes the key and issues a certificate"
        module.exit_json(changed=True, issue_required=True, reasons=[reason], csr=None, certificate=None,
                         subject_alt_names=module.params["subject_alt_names"], actions=[reason])
    return None


def main():
    run_module(
        CERTIFICATE_ARGUMENT_SPEC,
        CertificateBackend,
        ERRORS,
        required_library=REQUIRED_LIBRARY,
        precheck=answer_check_mode_without_library,
    )


if __name__ == "__main__":
    main()
