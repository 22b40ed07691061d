# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where the PKI modules touch the file system: read a file, and write one atomically with
its mode and owner, recording the difference in a DifferenceTracker (nothing is written in check mode)."""

from __future__ import annotations

__metaclass__ = type

import grp
import os
import pwd
import stat
import tempfile


def read_bytes(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _uid(owner):
    if owner is None or owner == "":
        return -1
    if isinstance(owner, int) or str(owner).isdigit():
        return int(owner)
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise ValueError("user %r does not exist on this host; create it first or choose another owner" % owner) from None


def _gid(group):
    if group is None or group == "":
        return -1
    if isinstance(group, int) or str(group).isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ValueError("group %r does not exist on this host; create it first or choose another group" % group) from None


def _mode(mode):
    if isinstance(mode, int):
        return mode
    return int(str(mode), 8)


class FileSpec:
    """What one managed file must look like."""

    def __init__(self, key, path, content, mode, owner=None, group=None, secret=False, same=None):
        self.key = key
        self.path = path
        self.content = content
        self.mode = _mode(mode)
        self.uid = _uid(owner)
        self.gid = _gid(group)
        self.secret = secret
        # Optional predicate(existing_bytes) -> bool: content is equivalent although bytes differ
        # (a PKCS#12 file is re-encrypted with a new salt each time it is written).
        self.same = same


def ensure_file(spec, tracker, check_mode):
    """Make ``spec.path`` hold ``spec.content`` with its mode/owner; record what changes. Returns True if changed."""
    existing = read_bytes(spec.path)
    content_ok = existing is not None and (existing == spec.content or (spec.same is not None and spec.same(existing)))
    changes = []
    if existing is None:
        tracker.add(spec.key, before="absent", after="present", action="create %s" % spec.path)
    elif not content_ok:
        before = "(secret content)" if spec.secret else existing.decode("utf-8", "replace")
        after = "(secret content)" if spec.secret else spec.content.decode("utf-8", "replace")
        tracker.add(spec.key, before=before, after=after, action="update %s" % spec.path)
    else:
        st = os.stat(spec.path)
        if stat.S_IMODE(st.st_mode) != spec.mode:
            changes.append(("mode", "%04o" % stat.S_IMODE(st.st_mode), "%04o" % spec.mode))
        if spec.uid != -1 and st.st_uid != spec.uid:
            changes.append(("owner", st.st_uid, spec.uid))
        if spec.gid != -1 and st.st_gid != spec.gid:
            changes.append(("group", st.st_gid, spec.gid))
        for what, before, after in changes:
            tracker.add("%s.%s" % (spec.key, what), before=before, after=after,
                        action="set %s of %s to %s" % (what, spec.path, after))
        if changes and not check_mode:
            os.chmod(spec.path, spec.mode)
            if spec.uid != -1 or spec.gid != -1:
                os.chown(spec.path, spec.uid, spec.gid)
        return bool(changes)
    if not check_mode:
        write_atomic(spec.path, spec.content, spec.mode, spec.uid, spec.gid)
    return True


def write_atomic(path, content, mode, uid=-1, gid=-1):
    """Write ``content`` to a temporary file beside ``path`` (mode and owner set first), then rename it."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        os.fchmod(fd, mode)
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
