# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mount options (nodev, nosuid, noexec) of paths that are mount points: live and in fstab.

Used by the ``ironclad.infra.mount_options`` module and the ``ironclad.infra.hardening_audit``
module. :func:`parse_mountinfo`, :func:`parse_fstab` and :func:`edit_fstab` are pure.
A path that is not a mount point of its own is *not applicable*: the module reports it and moves on.
"""

from __future__ import annotations

__metaclass__ = type

# Flags and their positive forms (an fstab "exec" contradicts a wanted "noexec").
_NEGATIONS = {"nodev": "dev", "nosuid": "suid", "noexec": "exec"}
# Options with a value that the module can enforce (procfs: hidepid, gid, subset).
_VALUED = ("hidepid", "gid", "subset")
# The kernel prints hidepid by name since Linux 5.8; older kernels and users may write the number.
_HIDEPID_NAMES = {"0": "off", "1": "noaccess", "2": "invisible", "4": "ptraceable"}


def normalise_option(option):
    key, sep, value = option.partition("=")
    if sep and key == "hidepid":
        return "hidepid=" + _HIDEPID_NAMES.get(value, value)
    return option


def supported_option(option):
    key, sep, _value = option.partition("=")
    return option in _NEGATIONS or (sep and key in _VALUED)


def _unescape(text):
    """mountinfo/fstab escape spaces and friends as octal (``\\040``)."""
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 4 <= len(text) and text[i + 1:i + 4].isdigit():
            out.append(chr(int(text[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text):
    """Return ``{mount_point: {"fstype", "source", "options": set}}`` (the last mount on a point wins)."""
    mounts = {}
    for line in (text or "").splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields = left.split()
        rest = right.split()
        if len(fields) < 6 or len(rest) < 2:
            continue
        point = _unescape(fields[4])
        options = set(fields[5].split(","))
        if len(rest) >= 3:
            options |= set(normalise_option(o) for o in rest[2].split(",") if o in _NEGATIONS or o.partition("=")[0] in _VALUED)
        mounts[point] = {"fstype": rest[0], "source": _unescape(rest[1]), "options": options}
    return mounts


def missing_options(current, wanted):
    current = set(normalise_option(o) for o in current)
    return [o for o in wanted if normalise_option(o) not in current]


def parse_fstab(text):
    """Return a list of ``(line_index, fields)`` for active fstab lines."""
    entries = []
    for index, line in enumerate((text or "").splitlines()):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split()
        if len(fields) >= 4:
            entries.append((index, fields))
    return entries


def edit_fstab(text, point, wanted, add_entry=None):
    """Make the fstab line of ``point`` carry ``wanted`` options.

    Returns ``(new_text, action)``; ``action`` is ``None`` when nothing changes. When no line exists
    and ``add_entry`` (``{"source", "fstype"}``) is given, a line is appended.
    """
    lines = (text or "").splitlines()
    for index, fields in parse_fstab(text):
        if _unescape(fields[1]) != point:
            continue
        original = [o for o in fields[3].split(",") if o]
        wanted_keys = {w.partition("=")[0] for w in wanted if "=" in w}
        # Remove the positive forms that contradict the wanted ones (exec vs noexec) and other
        # values of a wanted key=value option.
        options = [o for o in original
                   if o not in [_NEGATIONS[w] for w in wanted if w in _NEGATIONS]
                   and not ("=" in o and o.partition("=")[0] in wanted_keys and normalise_option(o) not in [normalise_option(w) for w in wanted])]
        present = [normalise_option(o) for o in options]
        added = [w for w in wanted if normalise_option(w) not in present]
        if not added and options == original:
            return text, None
        options += added
        fields[3] = ",".join(options)
        lines[index] = "\t".join(fields)
        return "\n".join(lines) + "\n", "fstab %s: add %s" % (point, ",".join(added) or "(normalise options)")
    if add_entry is None:
        return text, None
    lines.append("\t".join([add_entry["source"], point, add_entry["fstype"], ",".join(["defaults", *list(wanted)]), "0", "0"]))
    return "\n".join(lines) + "\n", "fstab %s: add line with %s" % (point, ",".join(wanted))
