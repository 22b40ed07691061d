# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many configuration files in one call: whole contents, key/value edits, ownership and modes.

Used by the ``ironclad.infra.config_files`` module. The pure part (:func:`edit_settings`,
:func:`plan_file`) turns the current text of a file and the wanted state into the new text and a list
of actions; ``ConfigFilesBackend`` (:mod:`.config_files_backend`) reads and writes files through a
small filesystem object, so unit tests run it against a temporary directory.

An entry is one of:

- ``content``: the whole text of the file (a template rendered on the controller);
- ``settings``: ``{key: value}`` edits of a file that belongs to a package (``/etc/login.defs``):
  the first active ``key`` line gets the value, later duplicates are removed, missing keys are
  appended, ``None`` removes the key; comments and other lines stay as they are;
- ``state: absent``: the file is removed.
"""

from __future__ import annotations

import difflib
import os
import re

__metaclass__ = type

MARKER = "# Added by ironclad.infra"


class ConfigFilesError(ValueError):
    """Bad input; the message names the entry and says how to fix it."""


def render_value(value):
    """Render a setting value: booleans as ``yes``/``no``, lists space separated, the rest as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return " ".join(render_value(v) for v in value)
    return str(value)


def _split(line, separator):
    """Return ``(key, value)`` of an active line, or ``None`` for comments and blank lines."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or stripped.startswith(";"):
        return None
    if separator.strip():
        key, sep, value = stripped.partition(separator.strip())
        if not sep:
            return stripped, None
        return key.strip(), value.strip()
    parts = stripped.split(None, 1)
    return parts[0], (parts[1].strip() if len(parts) > 1 else "")


def _same_value(current, wanted):
    if current is None:
        return False
    return " ".join(current.split()) == " ".join(wanted.split())


def edit_settings(text, settings, separator=" "):
    """Apply ``settings`` to ``text``; return ``(new_text, actions)``.

    ``separator`` is written between key and value: ``" "`` for ``login.defs`` style files (any
    whitespace is accepted when reading), ``"="`` or ``" = "`` for ``key=value`` files.
    """
    wanted = {str(k): (None if v is None else render_value(v)) for k, v in settings.items()}
    lines = text.splitlines() if text else []
    seen = set()
    out = []
    actions = []
    for line in lines:
        parsed = _split(line, separator)
        if parsed is None or parsed[0] not in wanted:
            out.append(line)
            continue
        key, current = parsed
        value = wanted[key]
        if value is None:
            actions.append("remove %s" % key)
            continue
        if key in seen:
            actions.append("remove duplicate %s" % key)
            continue
        seen.add(key)
        if _same_value(current, value):
            out.append(line)
        else:
            out.append("%s%s%s" % (key, separator, value))
            actions.append("set %s to %s (was %s)" % (key, value, current))
    missing = [k for k, v in wanted.items() if v is not None and k not in seen]
    if missing:
        if MARKER not in out:
            if out and out[-1].strip():
                out.append("")
            out.append(MARKER)
        for key in missing:
            out.append("%s%s%s" % (key, separator, wanted[key]))
            actions.append("add %s %s" % (key, wanted[key]))
    new_text = "\n".join(out) + ("\n" if out else "")
    if not actions:
        # Keep the original bytes (a missing final newline is no reason to rewrite a file).
        return text, []
    return new_text, actions


def parse_mode(value, where):
    """Return an int mode from ``"0640"``, ``"640"`` or an int; raise naming ``where``."""
    if value is None:
        return None
    if isinstance(value, int):
        if 0 <= value <= 0o7777:
            return value
    elif isinstance(value, str) and value.strip().isdigit():
        try:
            mode = int(value.strip(), 8)
        except ValueError:
            mode = None
        if mode is not None and 0 <= mode <= 0o7777:
            return mode
    raise ConfigFilesError(
        "%s: mode %r is not an octal file mode; quote it as a string such as '0640'" % (where, value)
    )


def normalise_entry(entry, index):
    """Validate one entry; return a dict with every key present."""
    where = "files[%d]" % index
    if not isinstance(entry, dict):
        raise ConfigFilesError("%s must be a dictionary with at least 'path'" % where)
    path = entry.get("path")
    if not path or not isinstance(path, str) or not os.path.isabs(path):
        raise ConfigFilesError("%s: 'path' must be an absolute path, got %r" % (where, path))
    where = "files[%d] (%s)" % (index, path)
    state = entry.get("state") or "present"
    if state not in ("present", "absent"):
        raise ConfigFilesError("%s: state must be present or absent, got %r" % (where, state))
    content = entry.get("content")
    settings = entry.get("settings")
    if state == "present" and (content is None) == (settings is None):
        raise ConfigFilesError("%s: give exactly one of 'content' (whole file) or 'settings' (key edits)" % where)
    if settings is not None and not isinstance(settings, dict):
        raise ConfigFilesError("%s: 'settings' must be a dictionary of key: value" % where)
    unless_found = entry.get("unless_found")
    if unless_found is not None:
        if not isinstance(unless_found, dict) or not unless_found.get("regexp") or not unless_found.get("paths"):
            raise ConfigFilesError("%s: 'unless_found' needs 'paths' (files or directories) and 'regexp'" % where)
        try:
            re.compile(unless_found["regexp"])
        except re.error as exc:
            raise ConfigFilesError("%s: unless_found.regexp is not a regular expression: %s" % (where, exc)) from exc
    separator = entry.get("separator")
    if separator is None:
        separator = " "
    if not isinstance(separator, str) or not separator or "\n" in separator:
        raise ConfigFilesError("%s: 'separator' must be a non-empty single-line string such as ' ' or '='" % where)
    return {
        "path": os.path.normpath(path),
        "state": state,
        "content": None if content is None else str(content),
        "settings": settings,
        "separator": separator,
        "create": bool(entry.get("create", True)),
        "owner": entry.get("owner"),
        "group": entry.get("group"),
        "mode": parse_mode(entry.get("mode"), where),
        "unless_found": unless_found,
        "where": where,
    }


def plan_file(entry, current_text):
    """Return ``(new_text, actions)`` for one normalised entry and the current text (``None``: no file)."""
    if entry["state"] == "absent":
        return None, (["remove file"] if current_text is not None else [])
    if entry["content"] is not None:
        if current_text is None:
            return entry["content"], ["create file"]
        if current_text == entry["content"]:
            return current_text, []
        return entry["content"], ["replace content"]
    if current_text is None and not entry["create"]:
        return None, []
    new_text, actions = edit_settings(current_text or "", entry["settings"], entry["separator"])
    if current_text is None:
        return new_text, ["create file", *actions]
    return new_text, actions


def unified_diff(path, before, after):
    return "".join(
        difflib.unified_diff(
            (before or "").splitlines(True),
            (after or "").splitlines(True),
            fromfile="%s (before)" % path,
            tofile="%s (after)" % path,
        )
    )


# --- the action plugin's shortcut: the same decision, on the controller, from one shell probe --------
