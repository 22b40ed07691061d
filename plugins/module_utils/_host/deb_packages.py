# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install and purge Debian packages in one step, deciding from dpkg's status file alone.

Used by the ``ironclad.infra.deb_packages`` module. When every wanted package is installed and no
unwanted one is, the module reads one file and runs nothing (no apt cache is loaded), which is what a
run that changes nothing needs. Otherwise it runs ``apt-get update`` (only when the package lists are
older than ``cache_valid_time`` or an update is forced), one ``apt-get install`` and one
``apt-get purge``.
"""

from __future__ import annotations

import re
import shlex

__metaclass__ = type

# dpkg-query prints the named packages' stanzas in the status file's own format, so parse_status reads
# both; unknown names are left out (not installed) and make dpkg-query exit 1, hence the ``true``.
PROBE_FORMAT = "Package: ${Package}\\nStatus: ${Status}\\n\\n"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.\-]+(:[a-z0-9]+)?$")


class DebPackagesError(ValueError):
    """Bad input or a failed apt-get run; the message says what to do."""


def parse_status(text):
    """Return ``{package: state}`` from dpkg's status file (``installed``, ``config-files``, ...)."""
    states = {}
    name = None
    for line in (text or "").splitlines():
        if line.startswith("Package:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("Status:") and name:
            words = line.split(":", 1)[1].split()
            if words:
                states[name] = words[-1]
        elif not line.strip():
            name = None
    return states


def validate_names(names, option):
    bad = [n for n in names if not isinstance(n, str) or not NAME_RE.match(n)]
    if bad:
        verb = "is" if len(bad) == 1 else "are"
        raise DebPackagesError("%s: %s %s not a Debian package name" % (option, ", ".join(repr(b) for b in bad), verb))


def plan(states, present, absent):
    """Return ``(to_install, to_purge)``; ``config-files`` leftovers of unwanted packages are purged too."""
    overlap = sorted(set(present) & set(absent))
    if overlap:
        raise DebPackagesError("packages both wanted and unwanted: %s" % ", ".join(overlap))
    base = {}
    for name, state in states.items():
        base[name.split(":")[0]] = state
    to_install = [n for n in present if base.get(n.split(":")[0]) != "installed"]
    leftovers = ("installed", "config-files", "half-installed", "half-configured", "unpacked")
    to_purge = [n for n in absent if base.get(n.split(":")[0]) in leftovers]
    return sorted(dict.fromkeys(to_install)), sorted(dict.fromkeys(to_purge))


def probe_command(params):
    """A shell command printing the status stanzas of the packages named in params (shortcut probe)."""
    names = list(params["present"]) + list(params["absent"])
    validate_names(names, "present/absent")
    if params["update_cache"] or not names:
        return None
    quoted = " ".join(shlex.quote(n) for n in names)
    return "dpkg-query -W -f=%s -- %s 2>/dev/null; true" % (shlex.quote(PROBE_FORMAT), quoted)


def unchanged_result(params, stdout):
    """The module's no-change result when the probed status needs no install and no purge, else None."""
    to_install, to_purge = plan(parse_status(stdout), list(params["present"]), list(params["absent"]))
    if to_install or to_purge:
        return None
    return {"changed": False, "installed": [], "purged": [], "cache_updated": False, "actions": []}
