# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and atomically replacing small system text files (fstab, PAM files): the side-effect layer
that the mount_options and pam_auth_update back ends share, on top of :mod:`._common.files`."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.ironclad.infra.plugins.module_utils._common.files import read_file, write_file


def read_text(path):
    """The file's text, or None when it does not exist."""
    return read_file(path, encoding="utf-8")


def replace_text(path, text):
    """Write ``text`` to ``path`` atomically (temporary file in the same directory, then rename),
    keeping the mode and owner of the file it replaces; a new file gets mode 0644."""
    write_file(path, text, 0o644, keep_attributes=True)
