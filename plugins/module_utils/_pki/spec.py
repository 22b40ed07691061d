# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs of the X.509 modules (x509_ca, x509_sign, x509_certificate).

Kept apart from the backends so the controller-side action plugin of x509_certificate imports its
spec without loading ``cryptography`` in every worker process. The options that several of them share
(:func:`key_options`, :func:`extended_key_usage`) are documented once, in the doc fragment
``ironclad.infra._x509`` (plugins/doc_fragments/_x509.py).
"""

from __future__ import annotations

__metaclass__ = type


def key_options(curve, size):
    """Options of a new key (doc fragment ``ironclad.infra._x509.key``). A CA key and a host key are made
    by the same code, so they offer the same types and curves; only the defaults differ (stronger for
    the long-lived CA)."""
    return dict(
        key_type=dict(type="str", choices=["ec", "rsa", "ed25519"], default="ec"),
        key_curve=dict(type="str", choices=["secp256r1", "secp384r1", "secp521r1"], default=curve),
        key_size=dict(type="int", default=size),
    )


def extended_key_usage():
    """The extended key usages of issued certificates (doc fragment ``ironclad.infra._x509.extended_key_usage``)."""
    return dict(type="list", elements="str", default=["server", "client"])


CA_ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    passphrase=dict(type="str", no_log=True),
    subject=dict(type="dict", default={"common_name": "Ironclad Root CA"}),
    **key_options(curve="secp384r1", size=4096),
    validity_days=dict(type="int", default=3650),
    path_length=dict(type="int"),
    name_constraints_permitted=dict(type="list", elements="str", default=[]),
    name_constraints_excluded=dict(type="list", elements="str", default=[]),
    intermediate=dict(type="bool", default=False),
    intermediate_subject=dict(type="dict"),
    intermediate_validity_days=dict(type="int", default=1825),
)

SIGN_ARGUMENT_SPEC = dict(
    ca_path=dict(type="path", required=True),
    passphrase=dict(type="str", no_log=True),
    requests=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        csr=dict(type="str", required=True),
        subject_alt_names=dict(type="list", elements="str"),
        validity_days=dict(type="int"),
        extended_key_usage=dict(type="list", elements="str"),
    )),
    validity_days=dict(type="int", default=365),
    extended_key_usage=extended_key_usage(),
)

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
    **key_options(curve="secp256r1", size=3072),
    subject=dict(type="dict"),
    subject_alt_names=dict(type="list", elements="str", required=True),
    extended_key_usage=extended_key_usage(),
    renew_before_days=dict(type="int", default=30),
    ca_chain=dict(type="list", elements="str", required=True),
    certificate=dict(type="str"),
    owner=dict(type="str"),
    group=dict(type="str"),
    privatekey_mode=dict(type="raw", default="0600", no_log=False),
    certificate_mode=dict(type="raw", default="0644"),
)
