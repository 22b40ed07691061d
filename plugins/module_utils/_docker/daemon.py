# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate, render and compare Docker's ``daemon.json`` — pure functions, no Ansible needed.

``dockerd`` refuses to start when ``daemon.json`` holds an unknown key, a value of the wrong JSON type
or a combination it rejects. Writing such a file and restarting the daemon takes every container host
down, so the collection checks the file *before* it is written: against the schema (:mod:`.daemon_schema`, all Docker
versions), and with ``dockerd --validate`` where the installed daemon has it (Docker 23 and later;
Debian 12 ships 20.10, which has not).

The schema knows the daemon options of Docker 20.10 to 26 with their JSON types, plus the semantic
rules that ``dockerd --validate`` does not check but the daemon enforces at start (or that would
silently weaken the host): sizes, CIDRs, URLs, listen addresses, TLS completeness.
"""

from __future__ import annotations

import difflib
import json
import re

from ansible_collections.ironclad.infra.plugins.module_utils._docker.daemon_schema import KINDS, SCHEMA

__metaclass__ = type


# ---------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------

def _kind_ok(kind, value):
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "list_str":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if kind == "dict_str":
        return isinstance(value, dict) and all(isinstance(item, str) for item in value.values())
    if kind == "dict":
        return isinstance(value, dict)
    if kind == "list_dict":
        return isinstance(value, list) and all(isinstance(item, dict) for item in value)
    raise ValueError("unknown kind %r" % kind)


def _describe(value):
    return "%s %s" % (type(value).__name__, json.dumps(value, sort_keys=True, default=str))


def format_version(version):
    return ".".join(str(part) for part in version)


def validate_config(config, dockerd_version=None, allow_unauthenticated_tcp=False):
    """Check a ``daemon.json`` document; return ``(errors, unknown_keys)``.

    ``errors`` are sentences naming the key, what is wrong and how to fix it; ``unknown_keys`` are keys
    the schema does not know (the caller decides whether that is an error). ``dockerd_version`` is a
    tuple such as ``(20, 10, 24)``; when given, options the installed daemon does not know yet (or no
    longer knows) are errors too.
    """
    if not isinstance(config, dict):
        return ["daemon.json must be a JSON object (a mapping of option names to values)"], []
    errors = []
    unknown = []
    for key in sorted(config):
        value = config[key]
        option = SCHEMA.get(key)
        if option is None:
            unknown.append(key)
            continue
        if option.removed_in and (dockerd_version is None or dockerd_version >= option.removed_in):
            errors.append("%s: removed in Docker %s; %s" % (key, format_version(option.removed_in), option.hint))
            continue
        if option.min_version and dockerd_version is not None and dockerd_version < option.min_version:
            errors.append("%s: needs Docker %s or later, the installed dockerd is %s; remove the option or "
                          "upgrade Docker" % (key, format_version(option.min_version), format_version(dockerd_version)))
            continue
        if not _kind_ok(option.kind, value):
            hint = ""
            if option.kind == "dict_str" and isinstance(value, dict):
                hint = " (Docker refuses numbers and booleans here: quote them, e.g. \"3\")"
            errors.append("%s: must be %s%s, got %s" % (key, KINDS[option.kind], hint, _describe(value)))
            continue
        if option.choices and value not in option.choices:
            errors.append("%s: %r is not one of %s" % (key, value, ", ".join(option.choices)))
            continue
        if option.check:
            errors.extend(option.check(key, value))
    errors.extend(_cross_checks(config, allow_unauthenticated_tcp))
    return errors, unknown


def _cross_checks(config, allow_unauthenticated_tcp):
    errors = []
    if config.get("icc") is False and config.get("iptables") is False:
        errors.append("icc: false is enforced with iptables rules, but iptables is false; dockerd refuses to "
                      "start with that pair — keep iptables true")
    if config.get("ip-masq") is True and config.get("iptables") is False:
        errors.append("ip-masq: true needs iptables: true")
    tls = config.get("tls") is True or config.get("tlsverify") is True
    if tls:
        for name in ("tlscert", "tlskey"):
            if not config.get(name):
                errors.append("%s: TLS is on (tls/tlsverify) but %s is not set; point it at the host's "
                              "certificate files" % (name, name))
    if config.get("tlsverify") is True and not config.get("tlscacert"):
        errors.append("tlscacert: tlsverify is on but no CA certificate is set to verify clients against")
    tcp = [host for host in config.get("hosts") or [] if isinstance(host, str) and host.startswith("tcp://")]
    if tcp and config.get("tlsverify") is not True and not allow_unauthenticated_tcp:
        errors.append("hosts: %s exposes the Docker API over TCP without client-certificate verification "
                      "(tlsverify); anyone who reaches that port is root on this host. Turn on tlsverify "
                      "with tlscacert/tlscert/tlskey, or allow it explicitly with allow_unauthenticated_tcp"
                      % ", ".join(tcp))
    hosts = config.get("hosts")
    if isinstance(hosts, list) and len(set(hosts)) != len(hosts):
        errors.append("hosts: lists the same address twice")
    return errors


def suggest(key):
    """Return the closest known option names for an unknown key (typo help)."""
    return difflib.get_close_matches(key, list(SCHEMA), n=2, cutoff=0.6)


def describe_unknown(keys):
    parts = []
    for key in keys:
        close = suggest(key)
        parts.append("%s%s" % (key, " (did you mean %s?)" % " or ".join(close) if close else ""))
    return ("unknown daemon.json option(s): %s. dockerd refuses to start with an option it does not know; "
            "fix the name, or set unknown_keys=warn if your Docker version has it" % ", ".join(parts))


# ---------------------------------------------------------------------------------------------------
# Rendering and comparing
# ---------------------------------------------------------------------------------------------------

def render(config):
    """The canonical text of ``daemon.json``: sorted keys, two-space indent, trailing newline."""
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def parse(text):
    """Parse the current file; return ``(document, error)``; an empty file is an empty document."""
    if not text.strip():
        return {}, None
    try:
        document = json.loads(text)
    except ValueError as exc:
        return None, "not valid JSON (%s)" % exc
    if not isinstance(document, dict):
        return None, "not a JSON object"
    return document, None


def compare(before, after, tracker, prefix=""):
    """Record each differing key in ``tracker`` (nested objects key by key, e.g. ``log-opts.max-size``)."""
    for key in sorted(set(before) | set(after)):
        path = prefix + key
        old, new = before.get(key), after.get(key)
        if key not in after:
            tracker.add(path, old, None, action="remove %s" % path)
        elif key not in before:
            tracker.add(path, None, new, action="set %s" % path)
        elif isinstance(old, dict) and isinstance(new, dict):
            compare(old, new, tracker, prefix=path + ".")
        elif old != new or type(old) is not type(new):
            tracker.add(path, old, new, action="change %s" % path)


# ---------------------------------------------------------------------------------------------------
# dockerd facts
# ---------------------------------------------------------------------------------------------------

_VERSION_RE = re.compile(r"version\s+v?(\d+)\.(\d+)(?:\.(\d+))?", re.IGNORECASE)


def parse_dockerd_version(text):
    """``Docker version 20.10.24+dfsg1, build 5d6db84`` → ``(20, 10, 24)``; None if not recognised."""
    match = _VERSION_RE.search(text or "")
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def supports_validate(help_text):
    """Whether ``dockerd --help`` lists ``--validate`` (Docker 23+, or a distribution backport)."""
    return "--validate" in (help_text or "")
