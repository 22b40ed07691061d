# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the X.509 modules share, documented once beside their spec in module_utils/_pki/spec.py.

- ``ironclad.infra._x509``: the library every X.509 module needs (the back ends' ``REQUIRED_LIBRARY``);
- ``ironclad.infra._x509.key``: O(key_type), O(key_curve), O(key_size) of x509_ca and x509_certificate
  (the spec's ``key_options()``); each module adds the defaults of O(key_curve) and O(key_size), which
  differ (stronger for the long-lived CA).
- ``ironclad.infra._x509.extended_key_usage``: O(extended_key_usage) of x509_sign and x509_certificate
  (the spec's ``extended_key_usage()``).
"""

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment:

    DOCUMENTATION = r"""
requirements:
  - cryptography >= 38 (Debian package C(python3-cryptography))
options: {}
"""

    KEY = r"""
options:
  key_type:
    description: Type of a new private key. An existing key of another type is kept (with a warning).
    type: str
    choices: [ec, rsa, ed25519]
    default: ec
  key_curve:
    description: Curve of a new EC key.
    type: str
    choices: [secp256r1, secp384r1, secp521r1]
  key_size:
    description: Size of a new RSA key in bits.
    type: int
"""

    EXTENDED_KEY_USAGE = r"""
options:
  extended_key_usage:
    description:
      - Extended key usages the certificates must carry (V(server), V(client), V(code_signing),
        V(email_protection), or dotted OIDs).
    type: list
    elements: str
    default: [server, client]
"""
