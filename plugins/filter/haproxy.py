# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn inventory data into HAProxy backend servers (documented in haproxy_*.yml)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.module_utils._common import validators

__metaclass__ = type

# HAProxy accepts these characters in proxy and server names.
_NAME_RE = re.compile(r"^[A-Za-z0-9_.:-]+$")

# Host variables a backend host may set to shape its own server line.
HOST_VARS = {
    "name": "haproxy_server_name",
    "address": "haproxy_server_address",
    "port": "haproxy_server_port",
    "weight": "haproxy_server_weight",
    "backup": "haproxy_server_backup",
}


def _lookup(variables, path):
    """Read ``a.b.c`` from nested mappings; None when any part is missing."""
    value = variables
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _check_name(kind, name, where):
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise AnsibleFilterError("%s name %r (%s) is not valid for HAProxy: use letters, digits and . _ : - only." % (kind, name, where))


def _port(value, where):
    """``where`` names the value (``haproxy_backends[0] (web).servers[1] (s1).port``)."""
    problem = validators.port(value)
    if problem:
        raise AnsibleFilterError("%s is not a TCP port: it %s, got %s." % (where, problem, validators.show(value)))
    return int(value)


def _weight(value, where):
    if value is None:
        return None
    try:
        weight = int(value)
    except (TypeError, ValueError):
        weight = None
    if weight is None or isinstance(value, bool) or not 0 <= weight <= 256:
        raise AnsibleFilterError("Weight %r of %s must be an integer from 0 to 256." % (value, where))
    return weight


def _bool(value, where):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("yes", "true", "1", "no", "false", "0"):
        return value.lower() in ("yes", "true", "1")
    raise AnsibleFilterError("'backup' of %s must be a boolean, got %r." % (where, value))


def normalize_server(server, where, port=None, weight=None):
    """Fill in defaults and validate one explicit server dict (name, address, port, weight, backup, options)."""
    if not isinstance(server, Mapping):
        raise AnsibleFilterError("Each server of %s must be a dict with name and address, got %r." % (where, server))
    if not server.get("address"):
        raise AnsibleFilterError("%s has no 'address'." % where)
    name = server.get("name") or str(server["address"])
    _check_name("Server", name, where)
    here = where
    problem = validators.host_address(server["address"])
    if problem:
        raise AnsibleFilterError("%s.address %s, got %s." % (here, problem, validators.show(server["address"])))
    chosen_port = server.get("port", port)
    if chosen_port is None:
        raise AnsibleFilterError("%s has no port: set 'port' on the server or on its backend." % here)
    options = server.get("options") or []
    if isinstance(options, str) or not isinstance(options, (list, tuple)):
        raise AnsibleFilterError("%s.options must be a list of server keywords." % here)
    return {
        "name": name,
        "address": str(server["address"]),
        "port": _port(chosen_port, here + ".port"),
        "weight": _weight(server.get("weight", weight), here),
        "backup": _bool(server.get("backup", False), here),
        "options": [str(option) for option in options],
    }


def _host_value(variables, key, default=None):
    """The host's own ``haproxy_server_<key>`` variable, else ``default``."""
    value = variables.get(HOST_VARS[key]) if variables else None
    return default if value is None else value


def haproxy_servers(hosts, hostvars=None, port=None, weight=None, backup=False, address_var=None):
    """Build HAProxy server entries for the inventory hosts ``hosts`` (for example ``groups['web']``).

    Each host may override its own entry with host variables ``haproxy_server_name``,
    ``haproxy_server_address``, ``haproxy_server_port``, ``haproxy_server_weight`` and
    ``haproxy_server_backup``. Otherwise the address is the host variable named by ``address_var``
    (a dotted path such as ``ansible_default_ipv4.address``), else ``ansible_host``, else the
    inventory name, which HAProxy resolves through DNS.
    """
    if isinstance(hosts, (str, bytes)) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError("haproxy_servers expects a list of inventory host names, got %r." % (hosts,))
    servers = []
    for host in hosts:
        variables = {}
        if hostvars is not None:
            try:
                variables = hostvars[host]
            except KeyError:
                variables = None
            if not isinstance(variables, Mapping):
                raise AnsibleFilterError("Host %r is not in hostvars; pass hostvars of the same inventory." % host)
        where = "inventory host %s" % host

        address = _host_value(variables, "address")
        if address is None and address_var:
            address = _lookup(variables, address_var)
            if address is None:
                raise AnsibleFilterError(
                    "%s has no variable %s (address_var); gather its facts first or set haproxy_server_address." % (where.capitalize(), address_var)
                )
        if address is None:
            address = variables.get("ansible_host") if variables else None
        if address is None:
            address = host
        name = _host_value(variables, "name", host)
        _check_name("Server", name, where)
        chosen_port = _host_value(variables, "port", port)
        if chosen_port is None:
            raise AnsibleFilterError("No port for %s: pass port= to haproxy_servers or set haproxy_server_port on the host." % where)
        servers.append(
            {
                "name": name,
                "address": str(address),
                "port": _port(chosen_port, "the port of %s (haproxy_server_port or the backend's port)" % where),
                "weight": _weight(_host_value(variables, "weight", weight), where),
                "backup": _bool(_host_value(variables, "backup", backup), where),
                "options": [],
            }
        )
    _check_unique([server["name"] for server in servers], "server", "the hosts given to haproxy_servers")
    return servers


def _check_unique(names, kind, where):
    seen = set()
    for name in names:
        if name in seen:
            raise AnsibleFilterError("Duplicate %s name %r in %s: names must be unique (set haproxy_server_name per host or rename)." % (kind, name, where))
        seen.add(name)


def haproxy_backends(backends, hostvars=None, groups=None):
    """Normalise the role's ``haproxy_backends``: expand ``group`` into servers, validate every server.

    Returns the same list with ``servers`` complete (explicit servers first, then the group's hosts),
    each as name, address, port, weight, backup, options.
    """
    if not isinstance(backends, (list, tuple)):
        raise AnsibleFilterError("haproxy_backends expects a list of backend dicts, got %r." % (backends,))
    result = []
    for index, backend in enumerate(backends):
        if not isinstance(backend, Mapping) or not backend.get("name"):
            raise AnsibleFilterError("haproxy_backends[%d]: every backend needs a 'name', got %r." % (index, backend))
        name = backend["name"]
        _check_name("Backend", name, "haproxy_backends[%d]" % index)
        where = "backend %s" % name
        path = "haproxy_backends[%d]" % index
        port = backend.get("port")
        weight = backend.get("weight")
        servers = [normalize_server(server, "%s.servers[%d]" % (path, number), port, weight)
                   for number, server in enumerate(backend.get("servers") or [])]
        group = backend.get("group")
        if group:
            if groups is None:
                raise AnsibleFilterError("%s names group %r: pass groups=groups to haproxy_backends." % (where.capitalize(), group))
            if group not in groups:
                raise AnsibleFilterError(
                    "%s takes its servers from inventory group %r, which does not exist. Add the group to the "
                    "inventory or fix 'group'." % (where.capitalize(), group)
                )
            servers.extend(
                haproxy_servers(
                    groups[group],
                    hostvars,
                    port=port,
                    weight=weight,
                    address_var=backend.get("address_var"),
                )
            )
        _check_unique([server["name"] for server in servers], "server", where)
        normalized = dict(backend)
        normalized["servers"] = servers
        result.append(normalized)
    _check_unique([backend["name"] for backend in result], "backend", "haproxy_backends")
    return result


LOOPBACK_ADDRESSES = ("127.0.0.1", "::1", "localhost")


def haproxy_firewall_services(frontends, sources=None):
    """Firewall service entries (ironclad.infra.firewall format) for every non-loopback frontend bind port."""
    if not isinstance(frontends, list):
        raise AnsibleFilterError("haproxy_firewall_services expects the list haproxy_frontends, got %s" % type(frontends).__name__)
    ports = []
    for index, frontend in enumerate(frontends):
        for number, bind in enumerate((frontend or {}).get("binds") or []):
            where = "haproxy_frontends[%d].binds[%d].port" % (index, number)
            if str(bind.get("address", "*")) in LOOPBACK_ADDRESSES:
                continue
            port = str(_port(bind.get("port"), where))
            if port not in ports:
                ports.append(port)
    return [{"name": "haproxy-%s" % port, "port": port, "protocol": "tcp", "sources": list(sources or [])} for port in ports]


class FilterModule:
    """HAProxy filters."""

    def filters(self):
        return {
            "haproxy_servers": haproxy_servers,
            "haproxy_backends": haproxy_backends,
            "haproxy_firewall_services": haproxy_firewall_services,
        }
