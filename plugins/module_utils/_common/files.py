# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one way to read a file that may be missing, to replace a file atomically, and to turn
an owner or group name into its id.

Every back end that writes files goes through :func:`write_file`: the new content goes to a temporary
file in the target's own directory (so the final rename never crosses a file system), gets its mode and
owner there, is flushed to disk with ``fsync``, and is then renamed over the target. A reader sees the
old file or the new one, never half of one; on any error the temporary file is removed and the target
is left as it was. Check mode is the caller's business: nothing here knows about it, so a back end
decides first and calls :func:`write_file` only when it really writes.
"""

from __future__ import annotations

__metaclass__ = type

import grp
import os
import pwd
import tempfile

DEFAULT_MODE = 0o644


def _numeric_or_named(name, lookup):
    if name is None:
        return None
    if isinstance(name, int) or str(name).isdigit():
        return int(name)
    return lookup(str(name))


def user_id(owner):
    """The uid of ``owner`` (a user name, or a number as int or text); None for None.

    Raises KeyError when no such user exists; the caller says which option named it."""
    return _numeric_or_named(owner, lambda name: pwd.getpwnam(name).pw_uid)


def group_id(group):
    """The gid of ``group`` (a group name, or a number as int or text); None for None. KeyError as :func:`user_id`."""
    return _numeric_or_named(group, lambda name: grp.getgrnam(name).gr_gid)


def read_file(path, encoding=None, errors="strict", newline=None):
    """The content of ``path``, or ``None`` when the file does not exist.

    Bytes when ``encoding`` is None; otherwise text decoded with ``encoding``/``errors`` and, with the
    default ``newline=None``, universal newlines (pass ``newline=""`` to keep line ends as they are).
    Other errors (permission denied, a directory) are raised.
    """
    try:
        if encoding is None:
            with open(path, "rb") as handle:
                return handle.read()
        with open(path, encoding=encoding, errors=errors, newline=newline) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_file(path, content, mode=DEFAULT_MODE, uid=-1, gid=-1, *, keep_attributes=False, make_dirs=False,
               move=os.replace, encoding="utf-8", errors="surrogateescape"):
    """Replace ``path`` with ``content`` (bytes, or text encoded with ``encoding``/``errors``) atomically.

    - ``mode``: the permission bits of the new file (an int such as ``0o640``);
    - ``uid``/``gid``: its owner and group; ``-1`` leaves that one as the temporary file was created
      (the user running the module);
    - ``keep_attributes``: when ``path`` exists, its mode, owner and group win over the three above,
      which then apply to a new file only;
    - ``make_dirs``: create the missing parent directories (mode 0755) first;
    - ``move(src, dest)``: the final rename, ``os.replace`` unless the caller wants
      ``AnsibleModule.atomic_move`` (which also keeps the SELinux context of the file it replaces).
    """
    if not isinstance(content, bytes):
        content = content.encode(encoding, errors)
    directory = os.path.dirname(os.path.abspath(path))
    if make_dirs and not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    if keep_attributes:
        try:
            st = os.stat(path)
            mode, uid, gid = st.st_mode & 0o7777, st.st_uid, st.st_gid
        except FileNotFoundError:
            pass
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            if uid != -1 or gid != -1:
                os.fchown(handle.fileno(), uid, gid)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        move(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_if_different(path, content, mode=DEFAULT_MODE, uid=-1, gid=-1, **kwargs):
    """:func:`write_file` unless ``path`` already holds exactly ``content``; True when it wrote."""
    data = content if isinstance(content, bytes) else content.encode(kwargs.get("encoding", "utf-8"), kwargs.get("errors", "surrogateescape"))
    if read_file(path) == data:
        return False
    write_file(path, data, mode, uid, gid, **kwargs)
    return True
