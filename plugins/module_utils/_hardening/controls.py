# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every check of the hardening audit shares: a control's statuses and shape, the container
detection, and small parsers of the files the checks read (pure)."""

from __future__ import annotations

__metaclass__ = type


PASS = "pass"
FAIL = "fail"
NA = "not_applicable"
SYSCTL_DIRS = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"]
MODPROBE_DIRS = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"]


CONTAINER_TYPES = ("docker", "podman", "lxc", "lxc-libvirt", "systemd-nspawn", "openvz", "container-other", "wsl", "rkt")
_LIST_LIMIT = 8


def short_list(items):
    items = list(items)
    text = ", ".join(str(i) for i in items[:_LIST_LIMIT])
    if len(items) > _LIST_LIMIT:
        text += " and %d more" % (len(items) - _LIST_LIMIT)
    return text


def control(control_id, title, area, status, reason):
    return {"id": control_id, "title": title, "area": area, "status": status, "reason": reason}


def detect_container(host):
    """Return the container type (``docker``, ``lxc`` ...) or ``None`` on a VM or bare metal."""
    text = host.read("/run/systemd/container")
    if text and text.strip():
        return text.strip()
    if host.lstat("/.dockerenv") is not None:
        return "docker"
    if host.lstat("/run/.containerenv") is not None:
        return "podman"
    environ = host.read("/proc/1/environ")
    if environ:
        for item in environ.split("\0"):
            if item.startswith("container="):
                return item.split("=", 1)[1] or "container-other"
    return None


def installed_packages(status_text):
    """Names of installed packages from ``/var/lib/dpkg/status``."""
    installed = set()
    name = None
    for line in (status_text or "").splitlines():
        if line.startswith("Package:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("Status:") and name:
            if line.split(":", 1)[1].split()[-1:] == ["installed"]:
                installed.add(name)
        elif not line.strip():
            name = None
    return installed


def parse_key_values(text, separator=None):
    """``key value`` (``separator=None``) or ``key = value`` lines -> dict (last wins); flags map to True."""
    result = {}
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if separator:
            key, sep, value = stripped.partition(separator)
            result[key.strip()] = value.strip() if sep else True
        else:
            parts = stripped.split(None, 1)
            result[parts[0]] = parts[1].strip() if len(parts) > 1 else True
    return result


def as_text(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())
