# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back end of ``ironclad.infra.config_files``: the files on the host, and the action plugin's shortcut.

Uses of ``module``: ``params`` (``files``) and ``check_mode``. The decisions are pure
(:mod:`.config_files`: :func:`normalise_entry`, :func:`plan_file`); :class:`ConfigFilesBackend`
applies them through a filesystem object: :class:`LocalFilesystem` on the host, a temporary directory
in unit tests, or :class:`ProbedFilesystem` (the output of one shell probe) in the action plugin, which
runs the same plan in check mode on the controller (:func:`probe_command`, :func:`unchanged_result`).
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import stat

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._common.files import group_id, read_file, user_id, write_file
from ansible_collections.ironclad.infra.plugins.module_utils._host.config_files import ConfigFilesError, normalise_entry, plan_file

__metaclass__ = type


class LocalFilesystem:
    """The side effects: read, stat, write atomically, chown/chmod, remove."""

    def listdir(self, path):
        try:
            return sorted(os.listdir(path))
        except OSError:
            return []

    def read(self, path):
        return read_file(path, encoding="utf-8", errors="surrogateescape", newline="")

    def lstat(self, path):
        try:
            return os.lstat(path)
        except FileNotFoundError:
            return None

    def makedirs(self, path):
        os.makedirs(path, mode=0o755, exist_ok=True)

    def write(self, path, text, mode, uid, gid):
        write_file(path, text, mode, uid, gid)

    def chown(self, path, uid, gid):
        os.chown(path, uid, gid)

    def chmod(self, path, mode):
        os.chmod(path, mode)

    def remove(self, path):
        os.unlink(path)

    uid = staticmethod(user_id)
    gid = staticmethod(group_id)


class ConfigFilesBackend:
    """Bring many files to their wanted state; ``run()`` returns the module result.

    ``module`` needs ``params`` (``files``), ``check_mode`` and ``fail_json``; ``fs`` defaults to
    :class:`LocalFilesystem`.
    """

    def __init__(self, module, tracker, fs=None):
        self.module = module
        self.tracker = tracker
        self.fs = fs or LocalFilesystem()

    def _found(self, entry):
        """True when another file under ``unless_found.paths`` has a line matching its regexp."""
        pattern = re.compile(entry["unless_found"]["regexp"], re.M)
        candidates = []
        for path in entry["unless_found"]["paths"]:
            st = self.fs.lstat(path)
            if st is not None and stat.S_ISDIR(st.st_mode):
                candidates.extend(os.path.join(path, name) for name in self.fs.listdir(path))
            else:
                candidates.append(path)
        for candidate in candidates:
            if os.path.normpath(candidate) == entry["path"]:
                continue
            text = self.fs.read(candidate) if self.fs.lstat(candidate) is not None and stat.S_ISREG(self.fs.lstat(candidate).st_mode) else None
            if text and pattern.search(text):
                return True
        return False

    def _ids(self, entry):
        try:
            uid = self.fs.uid(entry["owner"])
        except KeyError:
            raise ConfigFilesError("%s: owner %r does not exist on this host" % (entry["where"], entry["owner"])) from None
        try:
            gid = self.fs.gid(entry["group"])
        except KeyError:
            raise ConfigFilesError("%s: group %r does not exist on this host" % (entry["where"], entry["group"])) from None
        return uid, gid

    def run(self):
        entries = [normalise_entry(e, i) for i, e in enumerate(self.module.params["files"])]
        paths = [e["path"] for e in entries]
        duplicates = sorted({p for p in paths if paths.count(p) > 1})
        if duplicates:
            raise ConfigFilesError("files: each path may appear once; repeated: %s" % ", ".join(duplicates))
        for entry in entries:
            if entry["unless_found"] and entry["state"] == "present" and self._found(entry):
                entry["state"] = "absent"
                entry["content"] = entry["settings"] = None
        # Resolve every owner and group first: bad input fails before anything changes.
        ids = [self._ids(entry) for entry in entries]
        check = self.module.check_mode
        results = []
        diffs = []
        for index, entry in enumerate(entries):
            uid, gid = ids[index]
            path = entry["path"]
            current = self.fs.read(path)
            st = self.fs.lstat(path)
            if st is not None and not stat.S_ISREG(st.st_mode):
                raise ConfigFilesError("%s: exists and is not a regular file" % entry["where"])
            new_text, actions = plan_file(entry, current)
            file_actions = list(actions)
            if actions:
                self.tracker.add(path, current, new_text, action="%s: %s" % (path, "; ".join(actions)))
                diffs.append({
                    "before": current or "",
                    "after": new_text or "",
                    "before_header": path if current is not None else "%s (absent)" % path,
                    "after_header": path if new_text is not None else "%s (absent)" % path,
                })
            if entry["state"] == "absent":
                if actions and not check:
                    self.fs.remove(path)
                results.append({"path": path, "changed": bool(actions), "actions": file_actions})
                continue
            if new_text is None:
                # settings for a missing file with create: false
                results.append({"path": path, "changed": False, "actions": [], "skipped": "file does not exist"})
                continue
            mode = entry["mode"]
            want_uid = uid if uid is not None else (st.st_uid if st else 0)
            want_gid = gid if gid is not None else (st.st_gid if st else 0)
            want_mode = mode if mode is not None else (stat.S_IMODE(st.st_mode) if st else 0o644)
            if st is not None and (st.st_uid, st.st_gid) != (want_uid, want_gid):
                msg = "owner %d:%d -> %d:%d" % (st.st_uid, st.st_gid, want_uid, want_gid)
                self.tracker.add(path + ":owner", "%d:%d" % (st.st_uid, st.st_gid), "%d:%d" % (want_uid, want_gid),
                                 action="%s: %s" % (path, msg))
                file_actions.append(msg)
            if st is not None and stat.S_IMODE(st.st_mode) != want_mode:
                msg = "mode %04o -> %04o" % (stat.S_IMODE(st.st_mode), want_mode)
                self.tracker.add(path + ":mode", "%04o" % stat.S_IMODE(st.st_mode), "%04o" % want_mode,
                                 action="%s: %s" % (path, msg))
                file_actions.append(msg)
            if not check:
                if actions:
                    parent = os.path.dirname(path)
                    if self.fs.lstat(parent) is None:
                        self.fs.makedirs(parent)
                    self.fs.write(path, new_text, want_mode, want_uid, want_gid)
                elif st is not None:
                    if (st.st_uid, st.st_gid) != (want_uid, want_gid):
                        self.fs.chown(path, want_uid, want_gid)
                    if stat.S_IMODE(st.st_mode) != want_mode:
                        self.fs.chmod(path, want_mode)
            results.append({"path": path, "changed": bool(file_actions), "actions": file_actions})
        return {
            "changed": self.tracker.changed,
            "files": results,
            "actions": self.tracker.actions,
            "diff": diffs,
        }


PROBE_MARK = "@@ironclad-config-files@@"


# emit PATH: one line "MARK F <base64 path> <raw mode hex> <uid> <gid> [<base64 content>]" for an
# existing path (content for regular files), "MARK F <base64 path> missing" otherwise; directories
# also list their entries as "MARK D <base64 dir> <base64 name>" lines, and each entry is emitted.
_PROBE_FUNCTIONS = (
    "b() { printf %s \"$1\" | base64 -w0; }; "
    "e() { if [ -e \"$1\" ] || [ -L \"$1\" ]; then printf '%s F %s %s' \"$M\" \"$(b \"$1\")\" "
    "\"$(stat -c '%f %u %g' -- \"$1\")\"; if [ -f \"$1\" ] && [ ! -L \"$1\" ]; then printf ' '; "
    "base64 -w0 < \"$1\"; fi; printf '\\n'; else printf '%s F %s missing\\n' \"$M\" \"$(b \"$1\")\"; fi; }; "
    "d() { e \"$1\"; if [ -d \"$1\" ] && [ ! -L \"$1\" ]; then for c in \"$1\"/* \"$1\"/.[!.]* \"$1\"/..?*; do "
    "if [ -e \"$c\" ] || [ -L \"$c\" ]; then printf '%s D %s %s\\n' \"$M\" \"$(b \"$1\")\" \"$(b \"${c##*/}\")\"; "
    "e \"$c\"; fi; done; fi; }; "
)


def _probe_targets(params):
    entries = [normalise_entry(e, i) for i, e in enumerate(params["files"])]
    files = [e["path"] for e in entries]
    trees = sorted({p for e in entries if e["unless_found"] for p in e["unless_found"]["paths"]})
    owners = sorted({str(e["owner"]) for e in entries if e["owner"] is not None and not str(e["owner"]).isdigit()})
    groups = sorted({str(e["group"]) for e in entries if e["group"] is not None and not str(e["group"]).isdigit()})
    return files, trees, owners, groups


def probe_command(params):
    """One POSIX shell command printing what the module would read: the files, the unless_found trees
    (one level deep, as the module looks) and the owners' and groups' ids. None when there is nothing."""
    files, trees, owners, groups = _probe_targets(params)
    if not files:
        return None
    quote = shlex.quote
    parts = ["M=%s; %s" % (quote(PROBE_MARK), _PROBE_FUNCTIONS)]
    parts += ["e %s;" % quote(path) for path in files]
    parts += ["d %s;" % quote(path) for path in trees]
    parts += ["printf '%%s U %%s %%s\\n' \"$M\" \"$(b %s)\" \"$(id -u -- %s 2>/dev/null || echo -)\";" % (quote(o), quote(o))
              for o in owners]
    parts += ["printf '%%s G %%s %%s\\n' \"$M\" \"$(b %s)\" \"$(getent group -- %s | cut -d: -f3)\";" % (quote(g), quote(g))
              for g in groups]
    parts.append("true")
    return " ".join(parts)


class _ProbedStat:
    def __init__(self, mode, uid, gid):
        self.st_mode, self.st_uid, self.st_gid = mode, uid, gid


class ProbedFilesystem:
    """The read side of LocalFilesystem, answered from probe_command() output. What the probe did not
    see raises KeyError: the shortcut then gives up and the module runs."""

    def __init__(self, stdout):
        self.stats, self.texts, self.entries, self.users, self.groups = {}, {}, {}, {}, {}
        for line in (stdout or "").splitlines():
            words = line.split(" ")
            if len(words) < 3 or words[0] != PROBE_MARK:
                continue
            kind, name = words[1], base64.b64decode(words[2]).decode("utf-8", "surrogateescape")
            if kind in ("F", "D"):
                name = os.path.normpath(name)
            if kind == "F" and words[3:] == ["missing"]:
                self.stats[name] = None
            elif kind == "F" and len(words) in (6, 7):
                self.stats[name] = _ProbedStat(int(words[3], 16), int(words[4]), int(words[5]))
                if len(words) == 7:
                    self.texts[name] = base64.b64decode(words[6]).decode("utf-8", "surrogateescape")
                elif stat.S_ISREG(self.stats[name].st_mode):
                    self.texts[name] = ""
            elif kind == "D" and len(words) == 4:
                self.entries.setdefault(name, []).append(base64.b64decode(words[3]).decode("utf-8", "surrogateescape"))
            elif kind in ("U", "G") and len(words) == 4 and words[3].isdigit():
                (self.users if kind == "U" else self.groups)[name] = int(words[3])

    def lstat(self, path):
        return self.stats[os.path.normpath(path)]

    def read(self, path):
        path = os.path.normpath(path)
        if self.stats[path] is None:
            return None
        return self.texts[path]

    def listdir(self, path):
        return sorted(self.entries.get(os.path.normpath(path), []))

    def uid(self, owner):
        if owner is None:
            return None
        return int(owner) if isinstance(owner, int) or str(owner).isdigit() else self.users[str(owner)]

    def gid(self, group):
        if group is None:
            return None
        return int(group) if isinstance(group, int) or str(group).isdigit() else self.groups[str(group)]


class _CheckOnly:
    check_mode = True

    def __init__(self, params):
        self.params = params


def unchanged_result(params, stdout):
    """The module's result when its own plan, run in check mode on the probed files, changes nothing."""
    try:
        result = ConfigFilesBackend(_CheckOnly(params), DifferenceTracker(), ProbedFilesystem(stdout)).run()
    except (KeyError, ValueError):  # not probed, bad input (ConfigFilesError), undecodable output
        return None
    return None if result["changed"] else result
