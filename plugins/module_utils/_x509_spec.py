# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of x509_certificate, shared by the module and its action plugin.

Kept apart from the backends so the controller-side action plugin imports it without loading
``cryptography`` in every worker process.
"""

from __future__ import annotations

__metaclass__ = type

CERTIFICATE_ARGUMENT_SPEC = dict(
    privatekey_path=dict(type="path", required=True),
    certificate_path=dict(type="path", required=True),
    chain_path=dict(type="path"),
    fullchain_path=dict(type="path"),
    bundle_path=dict(type="path"),
    ca_certificate_path=dict(type="path"),
    pkcs12_path=dict(type="path"),
    pkcs12_passphrase=dict(type="str", no_log=True),
    pkcs12_friendly_name=dict(type="str"),
    key_type=dict(type="str", choices=["ec", "rsa", "ed25519"], default="ec"),
    key_curve=dict(type="str", choices=["secp256r1", "secp384r1", "secp521r1"], default="secp256r1"),
    key_size=dict(type="int", default=3072),
    subject=dict(type="dict"),
    subject_alt_names=dict(type="list", elements="str", required=True),
    extended_key_usage=dict(type="list", elements="str", default=["server", "client"]),
    renew_before_days=dict(type="int", default=30),
    ca_chain=dict(type="list", elements="str", required=True),
    certificate=dict(type="str"),
    owner=dict(type="str"),
    group=dict(type="str"),
    privatekey_mode=dict(type="raw", default="0600", no_log=False),
    certificate_mode=dict(type="raw", default="0644"),
)
