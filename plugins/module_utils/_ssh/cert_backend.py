# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backends and argument specs of the ssh_ca (CA host) and ssh_certificate (every host) modules."""

from __future__ import annotations

__metaclass__ = type

import os

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._common.files import read_file
from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import TrackedBackend
from ansible_collections.ironclad.infra.plugins.module_utils._pki.files import FileSpec, ensure_file
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import cert as s

CA_KEY = "ssh_ca"
CA_PUB = "ssh_ca.pub"


# What the modules end in fail_json (with the exception's text) instead of a traceback: invalid keys
# or certificates and files that cannot be read or written (see _common/runner.py).
ERRORS = {(s.SshCertError, ValueError, OSError): "%s"}


class SshCaBackend(TrackedBackend):
    """Create or load the SSH CA key, and sign a batch of host or user public keys with it."""

    def run(self):
        p = self.params
        path = os.path.expanduser(p["path"])
        key_path, pub_path = os.path.join(path, CA_KEY), os.path.join(path, CA_PUB)
        requests = []
        seen = set()
        for index, request in enumerate(p["requests"]):
            name = request.get("name") or "requests[%d]" % index
            if name in seen:
                raise s.SshCertError("request name %r appears twice" % name)
            seen.add(name)
            try:
                s.public_key_blob(request["public_key"])
            except s.SshCertError as exc:
                raise s.SshCertError("request %s: %s" % (name, exc)) from exc
            principals = [str(x) for x in request.get("principals") or []]
            if not principals:
                raise s.SshCertError("request %s has no principals" % name)
            requests.append((name, request["public_key"], principals, request.get("type") or p["type"],
                             request.get("validity_days") or p["validity_days"]))

        key_pem = read_file(key_path)
        check = self.module.check_mode
        key = None
        if key_pem is None:
            s.require_signing()
            self.tracker.add("ssh_ca", before=None, after="ed25519", action="create the SSH CA key %s" % key_path)
            key = s.generate_ca_key()
            if not check:
                if not os.path.isdir(path):
                    os.makedirs(path, 0o700)
                ensure_file(FileSpec("key", key_path, s.ca_private_bytes(key, p.get("passphrase")), "0600", secret=True),
                            DifferenceTracker(), False)
        else:
            key = s.load_ca_key(key_pem, p.get("passphrase"), "the SSH CA key %s" % key_path)
        public_line = s.ca_public_line(key, p["comment"])
        if key_pem is not None or not check:
            ensure_file(FileSpec("public_key", pub_path, (public_line + "\n").encode("ascii"), "0644"), self.tracker, check)

        certificates = {}
        for name, public_key, principals, cert_type, days in requests:
            self.tracker.add("certificates.%s" % name, before=None, after=principals,
                             action="sign the %s key of %s for %s" % (cert_type, name, ", ".join(principals)))
            if not check:
                certificates[name] = s.sign(key, public_key, principals, cert_type, days, name)
        return {
            "changed": self.tracker.changed,
            "actions": self.tracker.actions,
            "diff": self.tracker.diff(),
            # In check mode on a new CA the key shown is a throw-away one; nothing was written.
            "public_key": public_line if (key_pem is not None or not check) else None,
            "certificates": certificates,
            "signed": [r[0] for r in requests],
        }


class SshCertificateBackend(TrackedBackend):
    """Report which host keys need a certificate, and install the certificates the CA signed."""

    def run(self):
        p = self.params
        check = self.module.check_mode
        principals = [str(x) for x in p["principals"]]
        if not principals:
            raise s.SshCertError("principals is empty; a host certificate needs the names clients connect to")
        ca_keys = [line for line in p["ca_public_keys"] if line]
        for line in ca_keys:
            s.public_key_blob(line)
        given = p.get("certificates") or {}
        unknown = sorted(set(given) - set(p["key_types"]))
        if unknown:
            raise s.SshCertError("certificates given for key types %s that are not in key_types" % ", ".join(unknown))

        requests, facts, reasons_by_type = [], {}, {}
        for key_type in p["key_types"]:
            pub_path = os.path.join(p["ssh_dir"], "ssh_host_%s_key.pub" % key_type)
            cert_path = os.path.join(p["ssh_dir"], "ssh_host_%s_key-cert.pub" % key_type)
            pub = read_file(pub_path)
            if pub is None:
                raise s.SshCertError("the host key %s does not exist; generate it (ssh-keygen -A) or drop %s from key_types"
                                     % (pub_path, key_type))
            pub_line = pub.decode("ascii").strip()
            current = read_file(cert_path)
            current_line = current.decode("ascii").strip() if current else None
            if key_type in given:
                line = given[key_type].strip()
                info = s.parse_certificate(line)
                if info["key_blob"] != s.public_key_blob(pub_line):
                    raise s.SshCertError("the certificate given for %s does not belong to %s" % (key_type, pub_path))
                if ca_keys and info["ca_blob"] != s.public_key_blob(ca_keys[0]):
                    raise s.SshCertError("the certificate given for %s was not signed by the first key of ca_public_keys" % key_type)
                if info["type"] != "host":
                    raise s.SshCertError("the certificate given for %s is a %s certificate" % (key_type, info["type"]))
                ensure_file(FileSpec("certificates.%s" % key_type, cert_path, (line + "\n").encode("ascii"), p["certificate_mode"]),
                            self.tracker, check)
                facts[key_type] = s.certificate_facts(info)
                continue
            if not ca_keys:
                reasons = ["the SSH CA does not exist yet"]
            else:
                reasons = s.renewal_reasons(current_line, pub_line, principals, ca_keys, p["renew_before_days"])
            if reasons:
                reasons_by_type[key_type] = reasons
                requests.append({"key_type": key_type, "public_key": pub_line, "principals": principals, "reasons": reasons})
                self.tracker.add("certificates.%s" % key_type, before=current_line, after="(to be signed)",
                                 action="sign the %s host key: %s" % (key_type, "; ".join(reasons)))
            else:
                facts[key_type] = s.certificate_facts(s.parse_certificate(current_line))
                ensure_file(FileSpec("certificates.%s" % key_type, cert_path, (current_line + "\n").encode("ascii"),
                                     p["certificate_mode"]), self.tracker, check)
        return {
            "changed": self.tracker.changed,
            "actions": self.tracker.actions,
            "diff": self.tracker.diff(),
            "sign_required": bool(requests),
            "requests": requests,
            "reasons": reasons_by_type,
            "principals": principals,
            "certificates": facts,
        }
