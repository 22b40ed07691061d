# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back end of ``ironclad.infra.hardening_audit``: read-only access to the host, and the audit run.

Uses of ``module``: ``params`` (the expectations, every one a key of ``audit_defaults.DEFAULTS``) and
``run_command`` (read-only commands, through :class:`Host`). Nothing is ever changed.
"""

from __future__ import annotations

import os

from ansible_collections.ironclad.infra.plugins.module_utils._hardening.audit import Auditor
from ansible_collections.ironclad.infra.plugins.module_utils._host.file_modes_backend import find_setuid

__metaclass__ = type


class Host:
    """Read-only access to the host. Tests pass a fake with the same methods."""

    def __init__(self, module=None):
        self.module = module

    def read(self, path):
        try:
            with open(path, "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except PermissionError:
            return None

    def lstat(self, path):
        try:
            return os.lstat(path)
        except OSError:
            return None

    def listdir(self, path):
        try:
            return sorted(os.listdir(path))
        except OSError:
            return []

    def run(self, argv):
        if self.module is not None:
            return self.module.run_command(argv)
        import subprocess

        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def which(self, name):
        for directory in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
            path = os.path.join(directory, name)
            if os.access(path, os.X_OK):
                return path
        return None

    def realpath(self, path):
        return os.path.realpath(path)

    def writable(self, path):
        if os.access(path, os.W_OK):
            return True
        return False

    def find_setuid(self, roots, excludes):
        return find_setuid(roots, excludes)

    def user_name(self, uid):
        import pwd

        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)

    def group_name(self, gid):
        import grp

        try:
            return grp.getgrgid(gid).gr_name
        except KeyError:
            return str(gid)


class AuditBackend:
    """The back end of the hardening_audit module: the audit of this host, with the module's options
    as expectations. Every option is a key of ``DEFAULTS``; one left unset (None) keeps the default."""

    def __init__(self, module):
        self.module = module

    def run(self):
        # Auditor() already reads the host (container detection), so it is built here, where the
        # module's ValueError/OSError handling covers it.
        result = Auditor(Host(self.module), self.module.params).run()
        # The audit only reads the host, so the module never reports a change.
        return dict(changed=False, **result)
