# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The schema of Docker's ``daemon.json``: a table of every daemon option of Docker 20.10 to 26.

Mostly data: :data:`SCHEMA` maps each key to an :class:`Option` (JSON kind, allowed values, the Docker
versions that know it, a hint), and the semantic checks above it (sizes, CIDRs, URLs, listen
addresses, ...) each return the errors of one key. :mod:`.daemon` validates a configuration with it.
"""

from __future__ import annotations

import ipaddress
import re

__metaclass__ = type


# JSON kinds: bool, int, str, list_str (list of strings), dict_str (object of strings), dict (object),
# list_dict (list of objects).
KINDS = {
    "bool": "a boolean (true/false)",
    "int": "an integer",
    "str": "a string",
    "list_str": "a list of strings",
    "dict_str": "an object whose values are strings",
    "dict": "an object",
    "list_dict": "a list of objects",
}


STORAGE_DRIVERS = ("overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs", "devicemapper")


LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")


CGROUPNS_MODES = ("host", "private")


class Option:
    """One ``daemon.json`` key: its JSON kind, allowed values and the Docker versions that know it."""

    def __init__(self, kind, choices=None, check=None, min_version=None, removed_in=None, hint=None):
        self.kind = kind
        self.choices = choices
        self.check = check
        self.min_version = min_version
        self.removed_in = removed_in
        self.hint = hint


# ---- semantic checks: each returns a list of error strings for one key ----------------------------

_SIZE_RE = re.compile(r"^\d+(\.\d+)?\s*([kmgt]i?)?b?$", re.IGNORECASE)


def _check_size(key, value):
    if not _SIZE_RE.match(value.strip()):
        return ["%s: %r is not a size; use a number with an optional unit, e.g. '10m', '512k', '1g'" % (key, value)]
    return []


def _check_positive_int_string(key, value):
    if not re.match(r"^[1-9][0-9]*$", value):
        return ["%s: %r must be a positive whole number written as a string, e.g. '3'" % (key, value)]
    return []


def _check_bool_string(key, value):
    if value not in ("true", "false"):
        return ["%s: %r must be the string 'true' or 'false'" % (key, value)]
    return []


_LOG_OPT_CHECKS = {
    "max-size": _check_size,
    "max-file": _check_positive_int_string,
    "compress": _check_bool_string,
    "max-buffer-size": _check_size,
}


def _check_log_opts(key, value):
    errors = []
    for name, opt in sorted(value.items()):
        check = _LOG_OPT_CHECKS.get(name)
        if check:
            errors.extend(check("%s.%s" % (key, name), opt))
    if value.get("mode") not in (None, "blocking", "non-blocking"):
        errors.append("%s.mode: %r must be 'blocking' or 'non-blocking'" % (key, value["mode"]))
    return errors


def _network(text):
    """Parse a CIDR network; return (network, error)."""
    try:
        return ipaddress.ip_network(text, strict=True), None
    except ValueError as exc:
        return None, str(exc)


def _check_address_pools(key, value):
    errors = []
    for index, pool in enumerate(value):
        where = "%s[%d]" % (key, index)
        unknown = sorted(set(pool) - {"base", "size"})
        if unknown:
            errors.append("%s: unknown key(s) %s; a pool has only 'base' (a CIDR) and 'size' (a prefix length)"
                          % (where, ", ".join(unknown)))
        base, size = pool.get("base"), pool.get("size")
        if not isinstance(base, str):
            errors.append("%s.base: must be a CIDR string such as '10.200.0.0/16'" % where)
            continue
        network, problem = _network(base)
        if network is None:
            errors.append("%s.base: %r is not a network address (%s); write it as e.g. '10.200.0.0/16'"
                          % (where, base, problem))
            continue
        if isinstance(size, bool) or not isinstance(size, int):
            errors.append("%s.size: must be an integer prefix length, e.g. 24" % where)
            continue
        if not network.prefixlen <= size <= network.max_prefixlen:
            errors.append("%s.size: %d must lie between the base prefix length /%d and /%d"
                          % (where, size, network.prefixlen, network.max_prefixlen))
    return errors


def _check_cidr(key, value):
    network, problem = _network(value)
    if network is None:
        return ["%s: %r is not a network address (%s)" % (key, value, problem)]
    return []


def _check_interface(key, value):
    try:
        ipaddress.ip_interface(value)
    except ValueError as exc:
        return ["%s: %r is not an address with prefix length such as '10.200.0.1/24' (%s)" % (key, value, exc)]
    if "/" not in value:
        return ["%s: %r needs a prefix length, e.g. '%s/24'" % (key, value, value)]
    return []


def _check_ips(key, value):
    errors = []
    for item in value:
        try:
            ipaddress.ip_address(item)
        except ValueError:
            errors.append("%s: %r is not an IP address" % (key, item))
    return errors


def _check_ip(key, value):
    return _check_ips(key, [value])


def _check_urls(key, value):
    errors = []
    for item in value:
        if not re.match(r"^https?://[^/\s]+(/.*)?$", item):
            errors.append("%s: %r is not a registry URL; write it with its scheme, e.g. 'https://mirror.example.org'"
                          % (key, item))
    return errors


_HOST_RE = re.compile(r"^(fd://\S*|unix://\S*|tcp://\S*|ssh://\S+|npipe://\S*)$")


def _check_hosts(key, value):
    errors = []
    for item in value:
        if not _HOST_RE.match(item):
            errors.append("%s: %r is not a listen address; use 'fd://', 'unix:///run/docker.sock' or "
                          "'tcp://ADDRESS:2376'" % (key, item))
            continue
        if item.startswith("tcp://"):
            port = item.rsplit(":", 1)[-1] if item.count(":") >= 2 else ""
            if not port.isdigit() or not 0 < int(port) < 65536:
                errors.append("%s: %r needs an explicit port, e.g. 'tcp://0.0.0.0:2376'" % (key, item))
    return errors


def _check_userns(key, value):
    if value != "default" and not re.match(r"^[a-z_][a-z0-9_.-]*(:[a-z_][a-z0-9_.-]*)?$", value):
        return ["%s: %r must be 'default' or 'USER[:GROUP]'" % (key, value)]
    return []


def _check_abs_path(key, value):
    if not value.startswith("/"):
        return ["%s: %r must be an absolute path" % (key, value)]
    return []


def _check_non_negative(key, value):
    if value < 0:
        return ["%s: %d must not be negative" % (key, value)]
    return []


def _check_positive(key, value):
    if value < 1:
        return ["%s: %d must be at least 1" % (key, value)]
    return []


def _check_mtu(key, value):
    if not 68 <= value <= 65535:
        return ["%s: %d is not a valid MTU (68-65535)" % (key, value)]
    return []


def _check_features(key, value):
    return ["%s.%s: must be true or false" % (key, name) for name, flag in sorted(value.items())
            if not isinstance(flag, bool)]


def _check_ulimits(key, value):
    errors = []
    for name, limit in sorted(value.items()):
        if not isinstance(limit, dict) or set(limit) - {"Name", "Hard", "Soft"}:
            errors.append("%s.%s: must be an object with 'Name', 'Hard' and 'Soft'" % (key, name))
            continue
        for field in ("Hard", "Soft"):
            if field in limit and (isinstance(limit[field], bool) or not isinstance(limit[field], int)):
                errors.append("%s.%s.%s: must be an integer" % (key, name, field))
    return errors


def _check_runtimes(key, value):
    return ["%s.%s: must be an object with at least 'path'" % (key, name) for name, runtime in sorted(value.items())
            if not isinstance(runtime, dict) or "path" not in runtime]


SCHEMA = {
    # logging
    "log-driver": Option("str"),
    "log-opts": Option("dict_str", check=_check_log_opts),
    "log-level": Option("str", choices=LOG_LEVELS),
    "log-format": Option("str", choices=("text", "json"), min_version=(25, 0)),
    "debug": Option("bool"),
    "raw-logs": Option("bool"),
    # security
    "no-new-privileges": Option("bool"),
    "userns-remap": Option("str", check=_check_userns),
    "selinux-enabled": Option("bool"),
    "seccomp-profile": Option("str"),
    "icc": Option("bool"),
    "authorization-plugins": Option("list_str"),
    "default-cgroupns-mode": Option("str", choices=CGROUPNS_MODES),
    "cgroup-parent": Option("str"),
    "exec-opts": Option("list_str"),
    "init": Option("bool"),
    "init-path": Option("str", check=_check_abs_path),
    "default-ulimits": Option("dict", check=_check_ulimits),
    "default-shm-size": Option("str", check=_check_size),
    "default-ipc-mode": Option("str", choices=("private", "shareable")),
    "oom-score-adjust": Option("int"),
    # availability
    "live-restore": Option("bool"),
    "shutdown-timeout": Option("int", check=_check_non_negative),
    "max-concurrent-downloads": Option("int", check=_check_positive),
    "max-concurrent-uploads": Option("int", check=_check_positive),
    "max-download-attempts": Option("int", check=_check_positive),
    # networking
    "iptables": Option("bool"),
    "ip6tables": Option("bool"),
    "ip-forward": Option("bool"),
    "ip-masq": Option("bool"),
    "ipv6": Option("bool"),
    "userland-proxy": Option("bool"),
    "userland-proxy-path": Option("str", check=_check_abs_path),
    "default-address-pools": Option("list_dict", check=_check_address_pools),
    "default-network-opts": Option("dict", min_version=(24, 0)),
    "bip": Option("str", check=_check_interface),
    "fixed-cidr": Option("str", check=_check_cidr),
    "fixed-cidr-v6": Option("str", check=_check_cidr),
    "default-gateway": Option("str", check=_check_ip),
    "default-gateway-v6": Option("str", check=_check_ip),
    "bridge": Option("str"),
    "ip": Option("str", check=_check_ip),
    "mtu": Option("int", check=_check_mtu),
    "dns": Option("list_str", check=_check_ips),
    "dns-opts": Option("list_str"),
    "dns-search": Option("list_str"),
    "host-gateway-ip": Option("str", check=_check_ip),
    # API listeners and TLS
    "hosts": Option("list_str", check=_check_hosts),
    "tls": Option("bool"),
    "tlsverify": Option("bool"),
    "tlscacert": Option("str", check=_check_abs_path),
    "tlscert": Option("str", check=_check_abs_path),
    "tlskey": Option("str", check=_check_abs_path),
    "group": Option("str"),
    # storage and state
    "storage-driver": Option("str", choices=STORAGE_DRIVERS),
    "storage-opts": Option("list_str"),
    "data-root": Option("str", check=_check_abs_path),
    "exec-root": Option("str", check=_check_abs_path),
    "pidfile": Option("str", check=_check_abs_path),
    # registries
    "registry-mirrors": Option("list_str", check=_check_urls),
    "insecure-registries": Option("list_str"),
    "allow-nondistributable-artifacts": Option("list_str"),
    # runtimes and misc
    "containerd": Option("str"),
    "containerd-namespace": Option("str"),
    "containerd-plugins-namespace": Option("str"),
    "default-runtime": Option("str"),
    "runtimes": Option("dict", check=_check_runtimes),
    "features": Option("dict", check=_check_features),
    "experimental": Option("bool"),
    "labels": Option("list_str"),
    "metrics-addr": Option("str"),
    "node-generic-resources": Option("list_str"),
    "swarm-default-advertise-addr": Option("str"),
    "cdi-spec-dirs": Option("list_str", min_version=(25, 0)),
    # removed options: refused with the replacement named
    "graph": Option("str", removed_in=(23, 0), hint="use 'data-root'"),
    "cluster-store": Option("str", removed_in=(23, 0), hint="legacy overlay networking is gone; use Swarm"),
    "cluster-advertise": Option("str", removed_in=(23, 0), hint="legacy overlay networking is gone; use Swarm"),
    "cluster-store-opts": Option("dict", removed_in=(23, 0), hint="legacy overlay networking is gone; use Swarm"),
    "disable-legacy-registry": Option("bool", removed_in=(17, 12), hint="remove it; v1 registries are gone"),
}
