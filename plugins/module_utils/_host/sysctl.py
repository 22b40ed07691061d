# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel parameters: one ``sysctl.d`` file plus the running values, in one pass.

Used by the ``ironclad.infra.sysctl_settings`` module and the ``ironclad.infra.hardening_audit``
module. Pure functions render and parse ``sysctl.d`` text and compare values; ``ProcSys``
(:mod:`.sysctl_backend`) is the thin layer that reads and writes ``/proc/sys``. In a container ``/proc/sys`` is mounted
read-only (and ``kernel.*`` belongs to the host anyway): such keys are reported as skipped with the
reason, never as a failure.
"""

from __future__ import annotations

import os
import re

__metaclass__ = type

KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/:]*$")


class SysctlError(ValueError):
    """Bad input; the message names the key and says how to fix it."""


def render_value(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value).strip()


def normalise_value(value):
    """Compare values the way the kernel prints them: tabs and repeated blanks are one space."""
    return " ".join(render_value(value).split())


def validate_settings(settings):
    """Return ``{key: text value}``; raise :class:`SysctlError` naming every bad key."""
    if not isinstance(settings, dict):
        raise SysctlError("settings must be a dictionary of sysctl key: value")
    problems = []
    result = {}
    for key, value in settings.items():
        key = str(key).strip()
        if not KEY_RE.match(key) or ".." in key:
            problems.append("%r is not a sysctl key (expected dotted names such as net.ipv4.ip_forward)" % key)
            continue
        if value is None or isinstance(value, dict) or normalise_value(value) == "":
            problems.append("%s has no value; give a number or a string" % key)
            continue
        if "\n" in render_value(value):
            problems.append("%s: the value must be a single line" % key)
            continue
        result[key] = render_value(value)
    if problems:
        raise SysctlError("invalid sysctl settings: %s" % "; ".join(problems))
    return result


def key_to_path(key, root="/proc/sys"):
    """``net.ipv4.ip_forward`` -> ``/proc/sys/net/ipv4/ip_forward``.

    As in sysctl(8): when the first separator is ``/``, dots are part of names (``net/ipv4/conf/eth0.10/rp_filter``).
    """
    slash = key.find("/")
    dot = key.find(".")
    if slash != -1 and (dot == -1 or slash < dot):
        rel = key
    else:
        rel = key.replace(".", "/")
    return os.path.join(root, rel)


def render_file(settings, header=None):
    lines = []
    for line in (header or "").splitlines():
        lines.append(("# " + line).rstrip() if line and not line.startswith("#") else line)
    for key in sorted(settings):
        lines.append("%s = %s" % (key, settings[key]))
    return "\n".join(lines) + "\n"


def parse_file(text):
    """Parse ``sysctl.d`` text into ``{key: value}`` (later lines win, like sysctl --system)."""
    result = {}
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            continue
        key = key.strip().lstrip("-")
        result[key] = value.strip()
    return result


def plan_runtime(settings, procsys):
    """Compare wanted values with the running ones.

    Returns ``(to_apply, skipped, unchanged)``: ``to_apply`` maps keys to ``(current, wanted)``,
    ``skipped`` is a list of ``{"key", "reason", "current", "wanted"}`` for keys missing on this
    kernel or read-only here, ``unchanged`` the keys already right.
    """
    to_apply = {}
    skipped = []
    unchanged = []
    for key in sorted(settings):
        wanted = settings[key]
        current, reason = procsys.read(key)
        if current is None:
            skipped.append({"key": key, "reason": reason, "current": None, "wanted": wanted})
            continue
        if normalise_value(current) == normalise_value(wanted):
            unchanged.append(key)
            continue
        ok, reason = procsys.writable(key)
        if not ok:
            skipped.append({"key": key, "reason": reason, "current": current, "wanted": wanted})
            continue
        to_apply[key] = (current, wanted)
    return to_apply, skipped, unchanged
