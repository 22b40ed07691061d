# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The converged-state record of x509_certificate, and the decision whether a run may skip the module.

After a run that leaves a valid certificate in place, the module writes a small JSON record beside the
certificate: a digest of its parameters, the certificate's expiry and, for every file it manages, the
SHA-256 of the content, the mode and the owner. The x509_certificate action plugin reads that record and
the files' current checksums and modes with one shell command (no Python on the host) and skips the
module only when everything still matches and the certificate is outside its renewal window. Any
doubt - no record, another digest, a changed byte, mode or owner, an expiring certificate or CA -
means the module runs as usual, so the shortcut can only make a run faster, never different.

Plain Python (no cryptography), so the controller-side action plugin imports it cheaply.
"""

from __future__ import annotations

__metaclass__ = type

import hashlib
import json
import os
import shlex

STATE_VERSION = 1
# Parameters that do not shape the files: the certificate to install is an input of the second call.
_NOT_DIGESTED = ("certificate",)
_FILE_OPTIONS = ("privatekey_path", "certificate_path", "chain_path", "fullchain_path", "bundle_path",
                 "ca_certificate_path", "pkcs12_path")
SEPARATOR = "@@ironclad-probe@@"


def state_path(params):
    """``/etc/ironclad/pki/.host.crt.state.json`` for certificate_path ``/etc/ironclad/pki/host.crt``."""
    directory, name = os.path.split(params["certificate_path"])
    return os.path.join(directory, ".%s.state.json" % name)


def managed_paths(params):
    return sorted({params[option] for option in _FILE_OPTIONS if params.get(option)})


def params_digest(params):
    """SHA-256 over the validated parameters (the record is mode 0600, like the key beside it)."""
    relevant = {k: v for k, v in sorted(params.items()) if k not in _NOT_DIGESTED}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def build_state(params, not_after, ca_not_after, files, info):
    """The record: ``files`` is {path: (sha256, mode, uid, gid)}; ``info`` the certificate facts."""
    return {
        "version": STATE_VERSION,
        "digest": params_digest(params),
        "not_after": int(not_after),
        "ca_not_after": int(ca_not_after),
        "files": {path: list(values) for path, values in sorted(files.items())},
        "certificate": info,
    }


def probe_command(params):
    """One POSIX shell command printing the record, the files' SHA-256 and their mode/owner."""
    paths = " ".join(shlex.quote(p) for p in managed_paths(params))
    return ("cat %s 2>/dev/null; echo %s; sha256sum %s 2>/dev/null; echo %s; stat -c '%%a %%u %%g %%n' %s 2>/dev/null; true"
            % (shlex.quote(state_path(params)), SEPARATOR, paths, SEPARATOR, paths))


def parse_probe(output):
    """(record or None, {path: sha256}, {path: (mode, uid, gid)}) from probe_command() output."""
    parts = output.split(SEPARATOR)
    if len(parts) != 3:
        return None, {}, {}
    try:
        record = json.loads(parts[0]) if parts[0].strip() else None
    except ValueError:
        record = None
    sums = {}
    for line in parts[1].splitlines():
        fields = line.split(None, 1)
        if len(fields) == 2:
            sums[fields[1].lstrip("*")] = fields[0]
    stats = {}
    for line in parts[2].splitlines():
        fields = line.split(None, 3)
        if len(fields) == 4:
            stats[fields[3]] = (int(fields[0], 8), int(fields[1]), int(fields[2]))
    return record, sums, stats


def unchanged(params, record, sums, stats, now):
    """Return (True, None) when the module would change nothing, else (False, why the module must run)."""
    if not isinstance(record, dict) or record.get("version") != STATE_VERSION:
        return False, "no state record"
    if record.get("digest") != params_digest(params):
        return False, "the parameters changed"
    try:
        not_after, ca_not_after = int(record["not_after"]), int(record["ca_not_after"])
        files = record["files"]
    except (KeyError, TypeError, ValueError):
        return False, "the state record is incomplete"
    if not_after - now < int(params["renew_before_days"]) * 86400:
        return False, "the certificate is inside its renewal window"
    if ca_not_after <= now:
        return False, "the CA expired"
    if sorted(files) != managed_paths(params):
        return False, "other files are managed"
    for path, values in files.items():
        if len(values) != 4:
            return False, "the state record is incomplete"
        if sums.get(path) != values[0]:
            return False, "%s changed" % path
        if stats.get(path) != (int(values[1]), int(values[2]), int(values[3])):
            return False, "the mode or owner of %s changed" % path
    return True, None


def unchanged_result(params, stdout, now):
    """The module's no-change result when probe_command()'s output proves it, else None."""
    record, sums, stats = parse_probe(stdout)
    same, _why = unchanged(params, record, sums, stats, now)
    if not same:
        return None
    info = dict(record.get("certificate") or {})
    info["days_until_expiry"] = (int(record["not_after"]) - now) // 86400
    return {
        "changed": False,
        "actions": [],
        "issue_required": False,
        "reasons": [],
        "csr": None,
        "subject_alt_names": info.get("subject_alt_names", []),
        "certificate": info,
    }
