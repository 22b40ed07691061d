# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and atomically replacing small system text files (fstab, PAM files): the side-effect layer
that the mount_options and pam_auth_update back ends share."""

from __future__ import annotations

__metaclass__ = type

import os
import tempfile


def read_text(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def replace_text(path, text):
    """Write ``text`` to ``path`` atomically (temporary file in the same directory, then rename),
    keeping the mode and owner of the file it replaces; a new file gets mode 0644."""
    fd, tmp = tempfile.mkstemp(prefix=".ironclad-", dir=os.path.dirname(path))
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    try:
        st = os.stat(path)
        os.chmod(tmp, st.st_mode & 0o7777)
        os.chown(tmp, st.st_uid, st.st_gid)
    except FileNotFoundError:
        os.chmod(tmp, 0o644)
    os.replace(tmp, path)
