# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument specs of the SSH modules, one constant per module, each documented in that module's
DOCUMENTATION: ``sshd_config``, ``ssh_ca`` and ``ssh_certificate``."""

from __future__ import annotations

__metaclass__ = type


CA_ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    passphrase=dict(type="str", no_log=True),
    comment=dict(type="str", default="ironclad-ssh-ca"),
    type=dict(type="str", choices=["host", "user"], default="host"),
    validity_days=dict(type="int", default=365),
    requests=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        public_key=dict(type="str", required=True),
        principals=dict(type="list", elements="str", required=True),
        type=dict(type="str", choices=["host", "user"]),
        validity_days=dict(type="int"),
    )),
)


CERTIFICATE_ARGUMENT_SPEC = dict(
    key_types=dict(type="list", elements="str", choices=["ed25519", "ecdsa", "rsa"], default=["ed25519"]),
    principals=dict(type="list", elements="str", required=True),
    ca_public_keys=dict(type="list", elements="str", required=True),
    renew_before_days=dict(type="int", default=30),
    certificates=dict(type="dict"),
    ssh_dir=dict(type="path", default="/etc/ssh"),
    certificate_mode=dict(type="raw", default="0644"),
)


SSHD_CONFIG_ARGUMENT_SPEC = dict(
    path=dict(type="path", default="/etc/ssh/sshd_config"),
    mode=dict(type="str", default="0600"),
    settings=dict(type="dict", required=True),
    include=dict(type="list", elements="str", default=[]),
    match_blocks=dict(type="list", elements="dict", default=[], options=dict(
        criteria=dict(type="str", required=True),
        settings=dict(type="dict", required=True),
    )),
    header=dict(type="list", elements="str", default=[]),
    host_keys=dict(type="list", elements="dict", default=[], no_log=False, options=dict(
        path=dict(type="path", required=True, no_log=False),
        type=dict(type="str", required=True, choices=["ed25519", "rsa"]),
        size=dict(type="int", default=3072),
    )),
    remove_other_host_keys=dict(type="bool", default=False),
    host_key_glob=dict(type="str", default="/etc/ssh/ssh_host_*_key", no_log=False),
    moduli=dict(type="dict", options=dict(
        path=dict(type="path", default="/etc/ssh/moduli"),
        min_bits=dict(type="int", default=3072),
    )),
    banner=dict(type="dict", options=dict(
        path=dict(type="path", required=True),
        content=dict(type="str"),
    )),
    validate=dict(type="bool", default=True),
    sshd_path=dict(type="str", default="sshd"),
    lockout_guard=dict(type="dict", options=dict(
        enabled=dict(type="bool", default=True),
        connection=dict(type="str", default="ssh"),
        user=dict(type="str"),
        client_address=dict(type="str"),
        client_algorithms=dict(type="dict", options=dict(
            kex=dict(type="list", elements="str"),
            ciphers=dict(type="list", elements="str"),
            macs=dict(type="list", elements="str"),
        )),
        force=dict(type="bool", default=False),
    )),
)
