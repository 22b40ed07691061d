# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backends of the x509_ca, x509_sign and x509_certificate modules.

Each backend reads the current state, compares it with the wanted one through a DifferenceTracker and
then (outside check mode) writes. They use only ``module.params``, ``module.check_mode`` and
``module.warn``; errors are raised as PkiError and turned into ``fail_json`` by the module, so a unit
test drives a backend with a tiny fake module. All input is validated before anything is written.
"""

from __future__ import annotations

__metaclass__ = type

import functools
import hashlib
import json
import os

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._common.files import read_file, write_if_different
from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import TrackedBackend
from ansible_collections.ironclad.infra.plugins.module_utils._pki import state
from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509 as x
from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509_issue as x_issue
from ansible_collections.ironclad.infra.plugins.module_utils._pki.files import FileSpec, ensure_file

# What the modules end in fail_json (with the exception's text) instead of a traceback: invalid input
# and files that cannot be read or written (see _common/runner.py).
ERRORS = {(x.PkiError, ValueError, OSError): "%s"}
# The library every backend here needs: without it the modules fail with Ansible's install hint.
# Why cryptography could not be imported, or None: the modules name it as their required library.
CRYPTOGRAPHY_IMPORT_ERROR = x.CRYPTOGRAPHY_IMPORT_ERROR
REQUIRED_LIBRARY = ("cryptography (Debian: python3-cryptography)", CRYPTOGRAPHY_IMPORT_ERROR)

# File names inside a CA directory (x509_ca writes them, x509_sign reads them).
ROOT_KEY = "root.key"
ROOT_CERT = "root.crt"
INTERMEDIATE_KEY = "intermediate.key"
INTERMEDIATE_CERT = "intermediate.crt"


def _ca_file(path, name):
    return os.path.join(os.path.expanduser(path), name)


def load_ca(path, passphrase, need_key=True):
    """Load a CA directory: returns (signing_cert, signing_key, chain) with chain = [signing, ..., root].

    Raises PkiError when files are missing, the passphrase does not open a key, a key does not belong to
    its certificate, or the CA has expired.
    """
    root_pem = read_file(_ca_file(path, ROOT_CERT))
    if root_pem is None:
        raise x.PkiError("no CA in %s (%s missing); create it with ironclad.infra.x509_ca first" % (path, ROOT_CERT))
    root = x.load_certificate(root_pem, _ca_file(path, ROOT_CERT))
    chain = [root]
    signing, key_name = root, ROOT_KEY
    inter_pem = read_file(_ca_file(path, INTERMEDIATE_CERT))
    if inter_pem is not None:
        signing, key_name = x.load_certificate(inter_pem, _ca_file(path, INTERMEDIATE_CERT)), INTERMEDIATE_KEY
        chain = [signing, root]
    for cert in chain:
        name = ROOT_CERT if cert is root else INTERMEDIATE_CERT
        x_issue.check_ca_usable(cert, source="CA certificate %s" % _ca_file(path, name))
    key = None
    if need_key:
        key_path = _ca_file(path, key_name)
        key_pem = read_file(key_path)
        if key_pem is None:
            raise x.PkiError("the CA key %s is missing; the CA in %s cannot sign" % (key_path, path))
        key = x.load_private_key(key_pem, passphrase, "the CA key %s" % key_path)
        if not x.same_public_key(key, signing.public_key()):
            raise x.PkiError("the CA key %s does not belong to the CA certificate beside it" % key_path)
    return signing, key, chain


class CaBackend(TrackedBackend):
    """Create a CA (root, optionally an intermediate) or load and check the existing one."""

    def _subject(self, subject, default_cn):
        subject = dict(subject or {})
        subject.setdefault("common_name", default_cn)
        return subject

    def run(self):
        p = self.params
        path = os.path.expanduser(p["path"])
        passphrase = p.get("passphrase")
        permitted = x.name_constraint_subtrees(p.get("name_constraints_permitted"), "name_constraints_permitted")
        excluded = x.name_constraint_subtrees(p.get("name_constraints_excluded"), "name_constraints_excluded")
        root_subject = self._subject(p.get("subject"), "Ironclad Root CA")
        x.build_name(root_subject)
        inter_subject = self._subject(p.get("intermediate_subject"), "%s Intermediate" % root_subject["common_name"])
        check = self.module.check_mode
        files = []

        root_cert_pem = read_file(_ca_file(path, ROOT_CERT))
        root_key_pem = read_file(_ca_file(path, ROOT_KEY))
        if (root_cert_pem is None) != (root_key_pem is None):
            raise x.PkiError("the CA in %s is incomplete: %s and %s must both exist (restore the missing one, or move "
                             "the directory away to create a new CA)" % (path, ROOT_CERT, ROOT_KEY))
        root = root_key = None
        if root_cert_pem is not None:
            root = x.load_certificate(root_cert_pem, _ca_file(path, ROOT_CERT))
            root_key = x.load_private_key(root_key_pem, passphrase, "the CA key %s" % _ca_file(path, ROOT_KEY))
            if not x.same_public_key(root_key, root.public_key()):
                raise x.PkiError("the CA key %s does not belong to %s" % (_ca_file(path, ROOT_KEY), _ca_file(path, ROOT_CERT)))
            x_issue.check_ca_usable(root, source="root CA certificate %s" % _ca_file(path, ROOT_CERT))
            if root.subject != x.build_name(root_subject):
                self.module.warn("the existing root CA is %s, not %s; a CA is never replaced implicitly (move %s away to "
                                 "create a new one)" % (root.subject.rfc4514_string(), x.build_name(root_subject).rfc4514_string(), path))
        else:
            self.tracker.add("root", before=None, after=x.build_name(root_subject).rfc4514_string(),
                             action="create root CA %s in %s" % (x.build_name(root_subject).rfc4514_string(), path))
            if not check:
                root_key = x.generate_private_key(p["key_type"], p["key_curve"], p["key_size"])
                root = x_issue.build_ca_certificate(root_key, root_subject, p["validity_days"], path_length=p.get("path_length"),
                                                    permitted=permitted, excluded=excluded)
                files.append(FileSpec("root.key", _ca_file(path, ROOT_KEY), x.private_key_pem(root_key, passphrase), "0600", secret=True))
                files.append(FileSpec("root.crt", _ca_file(path, ROOT_CERT), x.certificate_pem(root).encode(), "0644"))

        signing = root
        chain = [root] if root is not None else []
        inter_cert_pem = read_file(_ca_file(path, INTERMEDIATE_CERT))
        if inter_cert_pem is not None:
            inter = x.load_certificate(inter_cert_pem, _ca_file(path, INTERMEDIATE_CERT))
            inter_key_pem = read_file(_ca_file(path, INTERMEDIATE_KEY))
            if inter_key_pem is None:
                raise x.PkiError("%s exists without %s" % (_ca_file(path, INTERMEDIATE_CERT), _ca_file(path, INTERMEDIATE_KEY)))
            inter_key = x.load_private_key(inter_key_pem, passphrase, "the CA key %s" % _ca_file(path, INTERMEDIATE_KEY))
            if not x.same_public_key(inter_key, inter.public_key()):
                raise x.PkiError("the CA key %s does not belong to %s" % (_ca_file(path, INTERMEDIATE_KEY), _ca_file(path, INTERMEDIATE_CERT)))
            x_issue.check_ca_usable(inter, source="intermediate CA certificate %s" % _ca_file(path, INTERMEDIATE_CERT))
            if root is not None and not x.signed_by(inter, root):
                raise x.PkiError("%s was not issued by %s" % (_ca_file(path, INTERMEDIATE_CERT), _ca_file(path, ROOT_CERT)))
            if not p.get("intermediate"):
                self.module.warn("%s has an intermediate CA, which keeps signing; intermediate=false does not remove it" % path)
            signing = inter
            chain = [inter, *chain]
        elif p.get("intermediate"):
            self.tracker.add("intermediate", before=None, after=x.build_name(inter_subject).rfc4514_string(),
                             action="create intermediate CA %s" % x.build_name(inter_subject).rfc4514_string())
            if not check:
                inter_key = x.generate_private_key(p["key_type"], p["key_curve"], p["key_size"])
                inter = x_issue.build_ca_certificate(inter_key, inter_subject, p["intermediate_validity_days"], issuer_cert=root,
                                                     issuer_key=root_key, path_length=0, permitted=permitted, excluded=excluded)
                files.append(FileSpec("intermediate.key", _ca_file(path, INTERMEDIATE_KEY), x.private_key_pem(inter_key, passphrase), "0600", secret=True))
                files.append(FileSpec("intermediate.crt", _ca_file(path, INTERMEDIATE_CERT), x.certificate_pem(inter).encode(), "0644"))
                signing = inter
                chain = [inter, *chain]

        if not check:
            if not os.path.isdir(path):
                os.makedirs(path, 0o700)
            # Keys first: a crash never leaves a certificate without its key.
            for spec in sorted(files, key=lambda s: not s.key.endswith(".key")):
                ensure_file(spec, DifferenceTracker(), check)

        result = {
            "changed": self.tracker.changed,
            "actions": self.tracker.actions,
            "diff": self.tracker.diff(),
            "path": path,
            "chain": [x.certificate_pem(c) for c in chain],
            "root_certificate": x.certificate_pem(root) if root is not None else None,
            "certificate": x.certificate_pem(signing) if signing is not None else None,
        }
        if signing is not None:
            info = x.certificate_info(signing)
            result.update({
                "fingerprint_sha256": x.fingerprint_colons(root),
                "not_after": info["not_after"],
                "days_until_expiry": info["days_until_expiry"],
                "subject": info["subject"],
            })
        return result


class SignBackend(TrackedBackend):
    """Sign a batch of CSRs with the CA in ``ca_path`` (one call for all hosts)."""

    def run(self):
        p = self.params
        prepared = []
        seen = set()
        for index, request in enumerate(p["requests"]):
            name = request.get("name") or "requests[%d]" % index
            if name in seen:
                raise x.PkiError("request name %r appears twice; every request needs its own name" % name)
            seen.add(name)
            try:
                csr = x_issue.load_csr(request.get("csr") or "", "the CSR of %s" % name)
                sans = x.normalize_sans(request.get("subject_alt_names") if request.get("subject_alt_names") is not None
                                        else x_issue.csr_sans(csr))
                if not sans:
                    raise x.PkiError("no subject alternative names; give subject_alt_names")
                eku = request.get("extended_key_usage") or p["extended_key_usage"]
                x.eku_oids(eku)
            except x.PkiError as exc:
                raise x.PkiError("request %s: %s" % (name, exc)) from exc
            prepared.append((name, csr, sans, request.get("validity_days") or p["validity_days"], eku))
        if not prepared:
            return {"changed": False, "certificates": {}, "issued": [], "actions": [], "chain": []}

        signing, key, chain = load_ca(p["ca_path"], p.get("passphrase"))
        for name, _csr, sans, _days, _eku in prepared:
            try:
                x_issue.check_name_constraints(sans, chain)
            except x.PkiError as exc:
                raise x.PkiError("request %s: %s" % (name, exc)) from exc
        certificates = {}
        for name, csr, sans, days, eku in prepared:
            self.tracker.add("certificates.%s" % name, before=None, after=sans,
                             action="issue a certificate for %s (%s), valid %s days" % (name, ", ".join(sans), days))
            if not self.module.check_mode:
                cert = x_issue.sign_certificate(csr, signing, key, sans, days, extended_key_usage=eku)
                certificates[name] = x.certificate_pem(cert)
        return {
            "changed": self.tracker.changed,
            "actions": self.tracker.actions,
            "diff": self.tracker.diff(),
            "certificates": certificates,
            "issued": [item[0] for item in prepared],
            "chain": [x.certificate_pem(c) for c in chain],
        }


def _pkcs12_same(existing, key, leaf, cas, passphrase):
    return x.pkcs12_matches(existing, key, leaf, list(cas), passphrase)


class CertificateBackend(TrackedBackend):
    """Ensure a key, evaluate or install its certificate, and write chain, full chain, bundle and PKCS#12."""

    def _summary(self, cert):
        if cert is None:
            return None
        info = x.certificate_info(cert)
        return {k: info[k] for k in ("subject", "issuer", "serial_number", "not_after", "subject_alt_names")}

    def run(self):
        p = self.params
        check = self.module.check_mode
        sans = x.normalize_sans(p["subject_alt_names"])
        if not sans:
            raise x.PkiError("subject_alt_names is empty; a certificate needs at least one DNS name or IP address")
        eku = p["extended_key_usage"]
        x.eku_oids(eku)
        x.build_name(p.get("subject"))

        ca_certs = x.load_certificates(p["ca_chain"], "ca_chain")
        issuer = chain = root = None
        if ca_certs:
            issuer = ca_certs[0]
            chain = [issuer] if issuer.issuer == issuer.subject else [issuer, *x.build_chain(issuer, ca_certs[1:])]
            root = chain[-1]
            for ca in chain:
                x_issue.check_ca_usable(ca, source="CA certificate %s in ca_chain" % ca.subject.rfc4514_string())
        elif not check:
            raise x.PkiError("ca_chain is empty; pass the chain returned by ironclad.infra.x509_ca")

        owner, group = p.get("owner"), p.get("group")
        # Fail on unknown users before writing anything.
        FileSpec("check", p["privatekey_path"], b"", p["privatekey_mode"], owner, group)

        # --- private key ---------------------------------------------------------------------------
        key_pem = read_file(p["privatekey_path"])
        key = None
        wanted_key = x.wanted_key_description(p["key_type"], p["key_curve"], p["key_size"])
        if key_pem is not None:
            key = x.load_private_key(key_pem, None, "the private key %s" % p["privatekey_path"])
            if x.describe_key(key) != wanted_key:
                self.module.warn("the private key %s is %s, not %s; it is kept (delete it to have a new one made)"
                                 % (p["privatekey_path"], x.describe_key(key), wanted_key))
        else:
            self.tracker.add("privatekey", before="absent", after=wanted_key,
                             action="generate a %s private key in %s" % (wanted_key, p["privatekey_path"]))
            if not check:
                key = x.generate_private_key(p["key_type"], p["key_curve"], p["key_size"])
                key_pem = x.private_key_pem(key)

        # --- certificate ---------------------------------------------------------------------------
        current_pem = read_file(p["certificate_path"])
        current = None
        if current_pem is not None:
            try:
                current = x.load_certificate(current_pem, p["certificate_path"])
            except x.PkiError as exc:
                self.module.warn("%s; it is replaced" % exc)

        reasons = []
        csr = None
        leaf = None
        if p.get("certificate"):
            leaf = x.load_certificate(p["certificate"], "the certificate option")
            self._check_signed(leaf, key, issuer, sans)
            if current is None or x.fingerprint(current) != x.fingerprint(leaf):
                self.tracker.add("certificate", before=self._summary(current), after=self._summary(leaf),
                                 action="install certificate serial %s, valid until %s"
                                 % (leaf.serial_number, x.format_time(x.not_valid_after(leaf))))
        else:
            if issuer is None:
                reasons = ["the CA does not exist yet"]
            elif key is None and current is not None:
                reasons = ["the private key is missing"]
            else:
                reasons = x_issue.renewal_reasons(current, key, sans, issuer, p["renew_before_days"], wanted_eku=eku)
            if reasons:
                self.tracker.add("certificate", before=self._summary(current), after="(to be issued)",
                                 action="issue a certificate for %s: %s" % (", ".join(sans), "; ".join(reasons)))
                if key is not None:
                    csr = x_issue.csr_pem(x_issue.build_csr(key, sans, p.get("subject")))
            else:
                leaf = current

        # --- files ---------------------------------------------------------------------------------
        specs = []
        if key_pem is not None:
            specs.append(FileSpec("privatekey", p["privatekey_path"], key_pem, p["privatekey_mode"], owner, group, secret=True))
        if root is not None and p.get("ca_certificate_path"):
            specs.append(FileSpec("ca_certificate", p["ca_certificate_path"], x.certificate_pem(root).encode(), p["certificate_mode"]))
        if chain is not None and p.get("chain_path"):
            specs.append(FileSpec("chain", p["chain_path"], "".join(x.certificate_pem(c) for c in chain).encode(), p["certificate_mode"]))
        if leaf is not None:
            leaf_pem = x.certificate_pem(leaf).encode()
            fullchain = leaf_pem + "".join(x.certificate_pem(c) for c in chain).encode()
            specs.append(FileSpec("certificate", p["certificate_path"], leaf_pem, p["certificate_mode"]))
            if p.get("fullchain_path"):
                specs.append(FileSpec("fullchain", p["fullchain_path"], fullchain, p["certificate_mode"]))
            if key_pem is not None and p.get("bundle_path"):
                specs.append(FileSpec("bundle", p["bundle_path"], key_pem + fullchain, p["privatekey_mode"], owner, group, secret=True))
            if key is not None and p.get("pkcs12_path"):
                passphrase = p.get("pkcs12_passphrase")
                cas = list(chain)
                specs.append(FileSpec("pkcs12", p["pkcs12_path"],
                                      x.pkcs12_bytes(key, leaf, cas, passphrase, p.get("pkcs12_friendly_name")),
                                      p["privatekey_mode"], owner, group, secret=True,
                                      same=functools.partial(_pkcs12_same, key=key, leaf=leaf, cas=tuple(cas), passphrase=passphrase)))
        for spec in specs:
            if spec.key == "privatekey" and spec.key in [d["key"] for d in self.tracker.differences()]:
                if not check:
                    ensure_file(spec, DifferenceTracker(), check)
                continue
            ensure_file(spec, self.tracker, check)

        if not check:
            self._record_state(leaf if not reasons else None, chain)

        return {
            "changed": self.tracker.changed,
            "actions": self.tracker.actions,
            "diff": self.tracker.diff(),
            "issue_required": bool(reasons),
            "reasons": reasons,
            "csr": csr,
            "subject_alt_names": sans,
            "certificate": x.certificate_info(leaf) if leaf is not None else None,
        }

    def _record_state(self, leaf, chain):
        """Write the converged-state record the action plugin checks (or drop it while a certificate is due)."""
        path = state.state_path(self.params)
        if leaf is None:
            if os.path.exists(path):
                os.unlink(path)
            return
        files = {}
        for name in state.managed_paths(self.params):
            content = read_file(name)
            if content is None:
                return
            st = os.stat(name)
            files[name] = (hashlib.sha256(content).hexdigest(), st.st_mode & 0o7777, st.st_uid, st.st_gid)
        record = state.build_state(self.params, x.not_valid_after(leaf).timestamp(),
                                   min(x.not_valid_after(c) for c in chain).timestamp(), files, x.certificate_info(leaf))
        content = json.dumps(record, sort_keys=True).encode("utf-8")
        write_if_different(path, content, 0o600, make_dirs=True)

    def _check_signed(self, leaf, key, issuer, sans):
        if key is None:
            raise x.PkiError("a certificate was given but %s does not exist; run the module without the certificate "
                             "option first to make the key and its CSR" % self.params["privatekey_path"])
        if not x.same_public_key(leaf.public_key(), key):
            raise x.PkiError("the given certificate does not belong to %s (the key changed after the CSR was made); "
                             "request a new certificate" % self.params["privatekey_path"])
        if issuer is not None and not x.signed_by(leaf, issuer):
            raise x.PkiError("the given certificate was not issued by the CA in ca_chain (%s)" % issuer.subject.rfc4514_string())
        if set(x.certificate_sans(leaf)) != set(sans):
            raise x.PkiError("the given certificate carries SANs %s, but subject_alt_names asks for %s"
                             % (", ".join(x.certificate_sans(leaf)), ", ".join(sans)))
        if x.not_valid_after(leaf) <= x.utcnow():
            raise x.PkiError("the given certificate expired on %s" % x.format_time(x.not_valid_after(leaf)))
