# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ownership and permissions of many paths, and set-user-ID / set-group-ID files, in one pass.

Used by the ``ironclad.infra.file_modes`` and ``ironclad.infra.suid_sgid`` modules and by the
``ironclad.infra.hardening_audit`` module, so the role and the audit judge a path the same way.

Pure functions decide (:func:`wanted_mode`, :func:`plan_path`, :func:`classify_setuid`); the scan
(``find_setuid``) and the changes are in :mod:`.file_modes_backend`.
"""

from __future__ import annotations

import os
import stat

__metaclass__ = type

SETID_BITS = stat.S_ISUID | stat.S_ISGID

# Trees that hold other systems' files (container images, snaps): their set-ID bits belong to those
# systems and must never be stripped by a host hardening run.
DEFAULT_SETUID_EXCLUDES = [
    "/proc",
    "/sys",
    "/dev",
    "/run",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/containers",
    "/var/lib/lxc",
    "/var/lib/lxd",
    "/var/lib/machines",
    "/var/lib/snapd",
    "/snap",
]


class FileModesError(ValueError):
    """Bad input; the message names the entry and says how to fix it."""


def parse_mode(value, where):
    if isinstance(value, int) and 0 <= value <= 0o7777:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        try:
            mode = int(value.strip(), 8)
        except ValueError:
            mode = -1
        if 0 <= mode <= 0o7777:
            return mode
    raise FileModesError("%s: mode %r is not an octal file mode; quote it as a string such as '0640'" % (where, value))


def wanted_mode(current, mode, policy):
    """The mode a path should get.

    ``policy`` ``exact`` returns ``mode``; ``at_most`` only removes permission bits that ``mode``
    does not grant (a file that is already stricter stays as it is).
    """
    if mode is None:
        return current
    if policy == "exact":
        return mode
    return current & mode


def normalise_paths(paths):
    result = []
    seen = set()
    for index, entry in enumerate(paths or []):
        where = "paths[%d]" % index
        if not isinstance(entry, dict):
            raise FileModesError("%s must be a dictionary with 'path' and at least one of owner, group, mode" % where)
        path = entry.get("path")
        if not isinstance(path, str) or not os.path.isabs(path):
            raise FileModesError("%s: 'path' must be an absolute path, got %r" % (where, path))
        where = "paths[%d] (%s)" % (index, path)
        if path in seen:
            raise FileModesError("%s: listed twice" % where)
        seen.add(path)
        policy = entry.get("policy") or "at_most"
        if policy not in ("at_most", "exact"):
            raise FileModesError("%s: policy must be at_most or exact, got %r" % (where, policy))
        mode = entry.get("mode")
        if entry.get("owner") is None and entry.get("group") is None and mode is None:
            raise FileModesError("%s: give at least one of owner, group, mode" % where)
        result.append({
            "path": path,
            "owner": entry.get("owner"),
            "group": entry.get("group"),
            "mode": None if mode is None else parse_mode(mode, where),
            "policy": policy,
            "follow": bool(entry.get("follow", False)),
            "where": where,
        })
    return result


def plan_path(entry, st, uid, gid):
    """Return a list of ``(key, before, after, action)`` for one path with ``os.lstat`` result ``st``."""
    changes = []
    path = entry["path"]
    if uid is not None and st.st_uid != uid:
        changes.append(("%s:owner" % path, st.st_uid, uid, "%s: owner %d -> %d" % (path, st.st_uid, uid)))
    if gid is not None and st.st_gid != gid:
        changes.append(("%s:group" % path, st.st_gid, gid, "%s: group %d -> %d" % (path, st.st_gid, gid)))
    current = stat.S_IMODE(st.st_mode)
    new = wanted_mode(current, entry["mode"], entry["policy"])
    if new != current:
        changes.append(("%s:mode" % path, "%04o" % current, "%04o" % new, "%s: mode %04o -> %04o" % (path, current, new)))
    return changes


def bits_text(mode):
    names = []
    if mode & stat.S_ISUID:
        names.append("setuid")
    if mode & stat.S_ISGID:
        names.append("setgid")
    return "+".join(names)


def classify_setuid(found, allowed):
    """Split scan results into ``(allowed, unexpected)`` lists of ``{"path", "mode", "bits"}``.

    An allow-list entry matches a path exactly, or ends with ``/`` to allow a whole directory.
    Symlinked entries (``/bin/su`` on a merged-/usr system) match their real path.
    """
    allowed_exact = set()
    allowed_dirs = []
    for entry in allowed or []:
        entry = str(entry)
        if entry.endswith("/"):
            allowed_dirs.append(entry)
        else:
            allowed_exact.add(os.path.normpath(entry))
            real = os.path.realpath(entry)
            allowed_exact.add(real)
    ok = []
    unexpected = []
    for path, mode in found:
        item = {"path": path, "mode": "%04o" % mode, "bits": bits_text(mode)}
        real = os.path.realpath(path)
        if path in allowed_exact or real in allowed_exact or any(path.startswith(d) for d in allowed_dirs):
            ok.append(item)
        else:
            unexpected.append(item)
    return ok, unexpected
