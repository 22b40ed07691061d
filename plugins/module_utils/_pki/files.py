# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where the PKI modules touch the file system: read a file, and write one atomically with
its mode and owner, recording the difference in a DifferenceTracker (nothing is written in check mode)."""

from __future__ import annotations

__metaclass__ = type

import os
import stat

from ansible_collections.ironclad.infra.plugins.module_utils._common.files import group_id, read_file, user_id, write_file


def _owner_id(name, lookup, what, option):
    """The id of a user or group for os.chown: -1 (leave it) when not given; ValueError when unknown."""
    if name is None or name == "":
        return -1
    try:
        return lookup(name)
    except KeyError:
        raise ValueError("%s %r does not exist on this host; create it first or choose another %s" % (what, name, option)) from None


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
        self.uid = _owner_id(owner, user_id, "user", "owner")
        self.gid = _owner_id(group, group_id, "group", "group")
        self.secret = secret
        # Optional predicate(existing_bytes) -> bool: content is equivalent although bytes differ
        # (a PKCS#12 file is re-encrypted with a new salt each time it is written).
        self.same = same


def ensure_file(spec, tracker, check_mode):
    """Make ``spec.path`` hold ``spec.content`` with its mode/owner; record what changes. Returns True if changed."""
    existing = read_file(spec.path)
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
        write_file(spec.path, spec.content, spec.mode, spec.uid, spec.gid, make_dirs=True)
    return True
