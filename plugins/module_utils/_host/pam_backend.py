# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back end of ``ironclad.infra.pam_auth_update``: profiles and ``/etc/pam.d`` on the host, ``pam-auth-update``.

Uses of ``module``: ``params``, ``check_mode``, ``run_command`` and ``get_bin_path``. The decisions
are pure (:mod:`.pam`: :func:`profile_missing`, :func:`set_unix_hash`); files are read and written
through :mod:`.text_files` (replaceable for tests).
"""

from __future__ import annotations

import os

from ansible_collections.ironclad.infra.plugins.module_utils._host.pam import PamError, parse_profile, profile_missing, set_unix_hash, unix_hash_args
from ansible_collections.ironclad.infra.plugins.module_utils._host.text_files import read_text, replace_text

__metaclass__ = type


PROFILE_DIR = "/usr/share/pam-configs"
PAM_DIR = "/etc/pam.d"


class PamAuthUpdateBackend:
    """Enable pam-auth-update profiles that are not active, and set the pam_unix hash arguments.

    ``module`` needs ``params`` (``enable``, ``unix_hash``, ``force``), ``check_mode``,
    ``run_command``, ``get_bin_path`` and ``atomic_move``/``tmpdir`` are not used: files are written
    through ``write``.
    """

    def __init__(self, module, tracker, read=None, write=None, profile_dir=PROFILE_DIR, pam_dir=PAM_DIR):
        self.module = module
        self.tracker = tracker
        self.read = read or read_text
        self.write = write or replace_text
        self.profile_dir = profile_dir
        self.pam_dir = pam_dir

    def _commons(self):
        return {name: self.read(os.path.join(self.pam_dir, name)) for name in
                ("common-auth", "common-account", "common-password", "common-session", "common-session-noninteractive")}

    def _missing(self, names):
        commons = self._commons()
        result = {}
        for name in names:
            text = self.read(os.path.join(self.profile_dir, name))
            if text is None and self.module.check_mode:
                # On a fresh host in check mode the package or file that provides it is not there yet.
                result[name] = ["profile %s not installed yet" % name]
                continue
            if text is None:
                raise PamError("pam-auth-update profile %s does not exist in %s (install the package that ships it)"
                               % (name, self.profile_dir))
            missing = profile_missing(parse_profile(text), commons)
            if missing:
                result[name] = missing
        return result

    def run(self):
        params = self.module.params
        names = list(params["enable"])
        missing = self._missing(names)
        for name, lines in sorted(missing.items()):
            self.tracker.add("profile.%s" % name, "inactive", "active",
                             action="enable profile %s (missing %s)" % (name, "; ".join(lines)))
        if missing and not self.module.check_mode:
            tool = self.module.get_bin_path("pam-auth-update", required=True)
            command = [tool, "--enable", *sorted(missing)]
            if params.get("force"):
                command.insert(1, "--force")
            rc, out, err = self.module.run_command(command, environ_update={"DEBIAN_FRONTEND": "noninteractive"})
            if rc != 0:
                raise PamError("pam-auth-update failed (rc %d): %s" % (rc, (err or out).strip()))
            still = self._missing(sorted(missing))
            if still:
                raise PamError(
                    "pam-auth-update did not activate %s; /etc/pam.d/common-* were probably edited by hand, and "
                    "pam-auth-update leaves such files alone. Review them, then re-run with force: true"
                    % ", ".join(sorted(still))
                )
        diff = None
        unix_hash = params.get("unix_hash")
        if unix_hash:
            path = os.path.join(self.pam_dir, "common-password")
            text = self.read(path)
            rounds = unix_hash.get("rounds")
            new_text, changed = set_unix_hash(text, unix_hash["algorithm"], None if rounds in (None, "") else rounds)
            if changed:
                before = unix_hash_args(text)
                self.tracker.add("common-password.pam_unix", "%s rounds=%s" % before,
                                 "%s rounds=%s" % (unix_hash["algorithm"], rounds),
                                 action="pam_unix hashes with %s%s" % (unix_hash["algorithm"], " rounds=%s" % rounds if rounds else ""))
                diff = {"before": text, "after": new_text, "before_header": path, "after_header": path}
                if not self.module.check_mode:
                    self.write(path, new_text)
        result = {"changed": self.tracker.changed, "actions": self.tracker.actions, "enabled": sorted(missing)}
        if diff:
            result["diff"] = diff
        return result
