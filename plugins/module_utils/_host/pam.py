# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Debian PAM: pam-auth-update profiles and the pam_unix password hashing arguments.

Used by the ``ironclad.infra.pam_auth_update`` module and the ``ironclad.infra.hardening_audit``
module. Pure functions parse profiles (``/usr/share/pam-configs/*``) and ``/etc/pam.d/common-*``,
decide whether a profile is active, and rewrite the ``pam_unix.so`` password line;
``PamAuthUpdateBackend`` (:mod:`.pam_backend`) runs ``pam-auth-update`` only when a profile is missing.
"""

from __future__ import annotations

import re

__metaclass__ = type

HASH_ALGORITHMS = ("yescrypt", "gost_yescrypt", "sha512", "sha256", "blowfish", "md5", "bigcrypt")
_SECTION_FILES = {
    "auth": ["common-auth"],
    "account": ["common-account"],
    "password": ["common-password"],
    "session": ["common-session", "common-session-noninteractive"],
}
_MODULE_RE = re.compile(r"^-?pam_[A-Za-z0-9_]+\.so$|^/\S+\.so$")


class PamError(ValueError):
    """Bad input or a PAM state the module will not touch; the message says what to do."""


def _tokens(text):
    """Split a PAM line, keeping ``[...]`` controls (which contain spaces) as one token."""
    tokens = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        if text[i] == "[":
            end = text.find("]", i)
            end = len(text) - 1 if end == -1 else end
            tokens.append(text[i:end + 1])
            i = end + 1
            continue
        j = i
        while j < len(text) and not text[j].isspace():
            j += 1
        tokens.append(text[i:j])
        i = j
    return tokens


def _module_line(text):
    tokens = _tokens(text)
    for index, token in enumerate(tokens):
        if _MODULE_RE.match(token):
            return " ".join(tokens[:index]), token.lstrip("-"), tokens[index + 1:]
    return None


def parse_profile(text):
    """Parse a pam-auth-update profile.

    Returns ``{"name", "sections", "session_interactive_only"}`` where ``sections`` maps ``auth``,
    ``auth-initial``, ``account``, ... to ``[(control, module, args)]``. ``-Final`` lines belong to
    the plain section; ``-Initial`` lines are the variant used when the profile is first in a stack.
    """
    sections = {}
    name = None
    current = None
    interactive_only = False
    for line in (text or "").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            parsed = _module_line(line.strip()) if current else None
            if parsed:
                sections.setdefault(current, []).append(parsed)
            continue
        key, _sep, value = line.partition(":")
        lowered = key.strip().lower()
        value = value.strip()
        current = None
        if lowered == "name":
            name = value
        elif lowered == "session-interactive-only":
            interactive_only = value.lower() == "yes"
        else:
            parts = lowered.split("-")
            if parts[0] in _SECTION_FILES and parts[-1] != "type":
                current = parts[0] + ("-initial" if parts[-1] == "initial" else "")
                parsed = _module_line(value) if value else None
                if parsed:
                    sections.setdefault(current, []).append(parsed)
    return {"name": name, "sections": sections, "session_interactive_only": interactive_only}


def parse_pam_file(text, kind=None):
    """Return ``[(type, control, module, args)]`` of active lines (``kind`` filters the type)."""
    entries = []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("@"):
            continue
        tokens = _tokens(stripped)
        if len(tokens) < 3:
            continue
        line_type = tokens[0].lstrip("-")
        if kind and line_type != kind:
            continue
        entries.append((line_type, tokens[1], tokens[2].lstrip("-"), tokens[3:]))
    return entries


def _absent(lines, section, files, common_texts):
    absent = []
    for _control, module, args in lines:
        for name in files:
            present = any(
                m == module and list(a) == list(args)
                for _t, _c, m, a in parse_pam_file(common_texts.get(name), section)
            )
            if not present:
                absent.append("%s: %s" % (name, " ".join([module, *list(args)])))
    return absent


def profile_missing(profile, common_texts):
    """Return the lines of ``profile`` that are not in the ``common-*`` files (empty: active).

    ``common_texts`` maps ``common-auth`` etc. to their text. A line matches when the module and its
    arguments are the same (pam-auth-update rewrites jump counts in the control field). A section is
    present in its plain form or in its ``-Initial`` form.
    """
    missing = []
    sections = profile["sections"]
    for section, files in _SECTION_FILES.items():
        if section == "session" and profile.get("session_interactive_only"):
            files = files[:1]
        plain = sections.get(section, [])
        initial = sections.get(section + "-initial")
        absent = _absent(plain, section, files, common_texts)
        if absent and initial is not None and not _absent(initial, section, files, common_texts):
            absent = []
        missing.extend(absent)
    return missing


def unix_hash_args(text):
    """Return ``(algorithm, rounds)`` of the pam_unix password line(s) of common-password."""
    for _type, _control, module, args in parse_pam_file(text, "password"):
        if module != "pam_unix.so":
            continue
        algorithm = next((a for a in args if a in HASH_ALGORITHMS), None)
        rounds = next((a.split("=", 1)[1] for a in args if a.startswith("rounds=")), None)
        return algorithm, rounds
    return None, None


def set_unix_hash(text, algorithm, rounds=None):
    """Rewrite pam_unix password lines to hash with ``algorithm`` (and ``rounds``); return ``(text, changed)``."""
    if algorithm not in HASH_ALGORITHMS:
        raise PamError("unknown password hash algorithm %r; use one of %s" % (algorithm, ", ".join(HASH_ALGORITHMS)))
    out = []
    changed = False
    found = False
    for line in (text or "").splitlines():
        stripped = line.strip()
        tokens = _tokens(stripped) if stripped and not stripped.startswith("#") else []
        if len(tokens) >= 3 and tokens[0].lstrip("-") == "password" and tokens[2].lstrip("-") == "pam_unix.so":
            found = True
            args = [a for a in tokens[3:] if a not in HASH_ALGORITHMS and not a.startswith("rounds=")]
            args.append(algorithm)
            if rounds is not None:
                args.append("rounds=%s" % rounds)
            if args != tokens[3:]:
                position = line.index(tokens[2]) + len(tokens[2])
                line = line[:position] + " " + " ".join(args)
                changed = True
        out.append(line)
    if not found:
        raise PamError("no pam_unix.so password line found; is pam-auth-update's 'unix' profile enabled?")
    new_text = "\n".join(out) + "\n"
    return (new_text if changed else text), changed
