# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The value rules of each role's input, checked on the controller before the role's first change.

The argument specs check shape and types; these check values (ports, addresses, networks, durations in
the service's syntax, names, relations between variables) with the validators of ``_common.validators`` and the
modules' own checks (``_docker.daemon.validate_config``, ``_pki.x509``). One function per role takes the
role's variables (name -> value) and a context of facts the controller knows (the controller address,
the users that exist on the host) and returns every problem as one message naming the variable:
``firewall_services[2].port must be a port 1-65535, ..., got 70000``. Used by the filter
``ironclad.infra.input_errors``; pure Python, unit-tested without Ansible.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from ansible_collections.ironclad.infra.plugins.module_utils._common import validators as v

__metaclass__ = type


def _list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _dict_items(problems, path, value):
    """The elements of a list of dicts as (path[i], dict); a non-dict element is a problem."""
    for index, item in enumerate(_list(value)):
        where = "%s[%d]" % (path, index)
        if isinstance(item, Mapping):
            yield where, item
        else:
            problems.add("%s must be a dict, got %s" % (where, v.show(item)))


def _networks(values):
    found = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            pass
    return found


# ---- firewall ------------------------------------------------------------------------------------------

_LOG_LIMIT = v.matches(r"^[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)$", "a rate such as 5/min (N/second, /minute, /hour or /day)")
_FIREWALL_SERVICE_KEYS = ("name", "port", "protocol", "sources", "source_groups", "family", "interface", "comment")


def _firewall_services(problems, path, services):
    for where, service in _dict_items(problems, path, services):
        unknown = sorted(set(service) - set(_FIREWALL_SERVICE_KEYS))
        if unknown:
            problems.add("%s has unknown keys %s; a service has %s" % (where, ", ".join(unknown), ", ".join(_FIREWALL_SERVICE_KEYS)))
        if service.get("port") in (None, ""):
            problems.add("%s.port must be set (22, '8000:8100' or '80,443')" % where)
        else:
            problems.check(where + ".port", service["port"], v.port_spec)
        problems.check(where + ".protocol", service.get("protocol") or "tcp", v.one_of(("tcp", "udp")))
        problems.check(where + ".family", service.get("family") or "both", v.one_of(("both", "ipv4", "ipv6")))
        problems.each(where + ".sources", _list(service.get("sources")), v.ip_network)
        if service.get("interface"):
            problems.check(where + ".interface", service["interface"], v.interface)


def firewall(values, context):
    problems = v.Problems()
    for name in ("firewall_management_networks", "firewall_ssh_sources", "firewall_docker_user_sources"):
        problems.each(name, _list(values.get(name)), v.ip_network)
    problems.check("firewall_ssh_port", values.get("firewall_ssh_port"), v.port)
    problems.check("firewall_ssh_rate_limit_hits", values.get("firewall_ssh_rate_limit_hits"), v.int_range(1, 20))
    problems.check("firewall_ssh_rate_limit_seconds", values.get("firewall_ssh_rate_limit_seconds"), v.int_range(1))
    problems.check("firewall_rollback_timeout", values.get("firewall_rollback_timeout"), v.int_range(0, 3600))
    problems.check("firewall_log_limit", values.get("firewall_log_limit"), _LOG_LIMIT)
    problems.check("firewall_log_burst", values.get("firewall_log_burst"), v.int_range(1, 10000))
    if len(str(values.get("firewall_log_prefix", ""))) > 29:
        problems.add("firewall_log_prefix must be at most 29 characters (the iptables limit), got %s"
                     % v.show(values["firewall_log_prefix"]))
    if values.get("firewall_docker_user_enabled", True):
        problems.each("firewall_docker_user_interfaces", _list(values.get("firewall_docker_user_interfaces")), v.interface)
    for name, services in (values.get("firewall_services_by_variable") or {}).items():
        _firewall_services(problems, name, services)
    return problems.messages


def firewall_lockout(values, context):
    """The lockout guard, checked once the values are valid: SSH stays open for the controller."""
    problems = v.Problems()
    if values.get("firewall_force"):
        return problems.messages
    management = _list(values.get("firewall_management_networks")) + _list(values.get("firewall_ssh_sources"))
    if not management:
        problems.add(
            "neither firewall_management_networks nor firewall_ssh_sources is set, so SSH would be closed for everyone: "
            "set firewall_management_networks to the networks you manage %s from, or set firewall_force: true"
            % context.get("host", "this host"))
        return problems.messages
    address = str(context.get("controller_address") or "").strip()
    controller_port = str(context.get("controller_port") or "").strip()
    if not address:
        return problems.messages
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        problems.check("firewall_controller_address", address, v.ip_address)
        return problems.messages
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.version == 6 and not values.get("firewall_ipv6_enabled", True):
        return problems.messages
    allowed = any(net.version == ip.version and ip in net for net in _networks(management))
    port_ok = not controller_port.isdigit() or int(controller_port) == int(values.get("firewall_ssh_port") or 0)
    if not (allowed and port_ok):
        problems.add(
            "this controller connects to %s from %s (to port %s), which the new policy would not allow SSH from "
            "(firewall_management_networks: %s, firewall_ssh_sources: %s, firewall_ssh_port: %s): add your network to "
            "firewall_management_networks, or set firewall_force: true to apply it anyway"
            % (context.get("host", "this host"), address, controller_port or "?",
               _list(values.get("firewall_management_networks")), _list(values.get("firewall_ssh_sources")),
               values.get("firewall_ssh_port")))
    return problems.messages


# ---- haproxy -------------------------------------------------------------------------------------------

_HAPROXY_NAME = v.matches(r"^[A-Za-z0-9_.:-]+$", "a HAProxy name (letters, digits and . _ : -)")
_HAPROXY_DURATIONS = ("haproxy_timeout_connect", "haproxy_timeout_client", "haproxy_timeout_server",
                      "haproxy_timeout_http_request", "haproxy_timeout_http_keep_alive", "haproxy_timeout_queue",
                      "haproxy_timeout_check", "haproxy_hard_stop_after", "haproxy_check_inter", "haproxy_stats_refresh")


def _haproxy_listen(value):
    return None if str(value).strip() == "localhost" else v.listen_address(value)


def haproxy(values, context):
    problems = v.Problems()
    for name in _HAPROXY_DURATIONS:
        if name in values:
            problems.check(name, values[name], v.haproxy_duration)
    problems.check("haproxy_maxconn", values.get("haproxy_maxconn"), v.int_range(1))
    problems.check("haproxy_nbthread", values.get("haproxy_nbthread"), v.int_range(0, 4096))
    problems.check("haproxy_retries", values.get("haproxy_retries"), v.int_range(0, 100))
    problems.check("haproxy_check_fall", values.get("haproxy_check_fall"), v.int_range(1, 100))
    problems.check("haproxy_check_rise", values.get("haproxy_check_rise"), v.int_range(1, 100))
    problems.check("haproxy_hsts_max_age", values.get("haproxy_hsts_max_age"), v.int_range(0))
    problems.check("haproxy_runtime_socket_mode", values.get("haproxy_runtime_socket_mode"),
                   v.matches(r"^0?[0-7]{3}$", 'an octal mode such as "660"'))
    if values.get("haproxy_stats_enabled", True):
        problems.check("haproxy_stats_port", values.get("haproxy_stats_port"), v.port)
        problems.check("haproxy_stats_address", values.get("haproxy_stats_address"), _haproxy_listen)
    for name in ("haproxy_firewall_sources", "haproxy_firewall_admin_sources"):
        problems.each(name, _list(values.get(name)), v.ip_network)
    for where, frontend in _dict_items(problems, "haproxy_frontends", values.get("haproxy_frontends")):
        problems.check(where + ".name", frontend.get("name"), _HAPROXY_NAME)
        for bind_where, bind in _dict_items(problems, where + ".binds", frontend.get("binds")):
            problems.check(bind_where + ".address", bind.get("address", "*"), _haproxy_listen)
            problems.check(bind_where + ".port", bind.get("port"), v.port)
    for where, backend in _dict_items(problems, "haproxy_backends", values.get("haproxy_backends")):
        problems.check(where + ".name", backend.get("name"), _HAPROXY_NAME)
        if backend.get("port") is not None:
            problems.check(where + ".port", backend["port"], v.port)
        if backend.get("weight") is not None:
            problems.check(where + ".weight", backend["weight"], v.int_range(0, 256))
        for server_where, server in _dict_items(problems, where + ".servers", backend.get("servers")):
            if not server.get("address"):
                problems.add("%s.address must be set (an IP address or a host name)" % server_where)
            else:
                problems.check(server_where + ".address", server["address"], v.host_address)
            if server.get("name") is not None:
                problems.check(server_where + ".name", server["name"], _HAPROXY_NAME)
            if server.get("port", backend.get("port")) is None:
                problems.add("%s.port must be set on the server or on its backend" % server_where)
            elif server.get("port") is not None:
                problems.check(server_where + ".port", server["port"], v.port)
            if server.get("weight") is not None:
                problems.check(server_where + ".weight", server["weight"], v.int_range(0, 256))
    if values.get("haproxy_keepalived_enabled"):
        problems.check("haproxy_keepalived_interface", values.get("haproxy_keepalived_interface"), v.interface)
        problems.check("haproxy_keepalived_virtual_router_id", values.get("haproxy_keepalived_virtual_router_id"), v.int_range(1, 255))
        problems.check("haproxy_keepalived_priority", values.get("haproxy_keepalived_priority"), v.int_range(1, 254))
        problems.check("haproxy_keepalived_check_interval", values.get("haproxy_keepalived_check_interval"), v.int_range(1))
        problems.each("haproxy_keepalived_virtual_addresses", _list(values.get("haproxy_keepalived_virtual_addresses")), v.ip_network)
        problems.each("haproxy_keepalived_unicast_peers", _list(values.get("haproxy_keepalived_unicast_peers")), v.ip_address)
    return problems.messages


# ---- rabbitmq ------------------------------------------------------------------------------------------

_RABBITMQ_LISTENERS = (
    ("amqps", None),
    ("amqp_plain", "rabbitmq_amqp_plain_enabled"),
    ("management", "rabbitmq_management_enabled"),
    ("prometheus", "rabbitmq_prometheus_enabled"),
)
# Ports the nodes use among themselves (epmd, inter-node, CLI tools): a listener there cannot start.
_RABBITMQ_RESERVED = {4369: "epmd", 25672: "inter-node communication"}


def _rabbitmq_listen(value):
    if str(value).strip() == "":
        return None
    if v.ip_address(value) is None:
        return None
    return "must be empty (every address) or an IPv4 or IPv6 address"


def rabbitmq(values, context):
    problems = v.Problems()
    used = {}
    for listener, switch in _RABBITMQ_LISTENERS:
        if switch and not values.get(switch, True):
            continue
        port_var, address_var = "rabbitmq_%s_port" % listener, "rabbitmq_%s_address" % listener
        if problems.check(port_var, values.get(port_var), v.port):
            number = int(values[port_var])
            if number in _RABBITMQ_RESERVED or 35672 <= number <= 35682:
                problems.add("%s must not be a port the nodes use among themselves (4369, 25672, 35672-35682), got %d"
                             % (port_var, number))
            elif number in used:
                problems.add("%s must differ from %s, both are %d" % (port_var, used[number], number))
            used.setdefault(number, port_var)
        problems.check(address_var, values.get(address_var, ""), _rabbitmq_listen)
    problems.check("rabbitmq_vm_memory_high_watermark", values.get("rabbitmq_vm_memory_high_watermark"), v.fraction)
    problems.check("rabbitmq_disk_free_limit", values.get("rabbitmq_disk_free_limit"), v.rabbitmq_size)
    problems.check("rabbitmq_health_timeout", values.get("rabbitmq_health_timeout"), v.int_range(1))
    problems.check("rabbitmq_restart_delay", values.get("rabbitmq_restart_delay"), v.int_range(1))
    for name in ("rabbitmq_firewall_client_sources", "rabbitmq_firewall_admin_sources"):
        problems.each(name, _list(values.get(name)), v.ip_network)
    return problems.messages


# ---- docker --------------------------------------------------------------------------------------------

# daemon.json keys built from a role variable; any other key comes from docker_daemon_extra_options.
_DOCKER_KEYS = {
    "log-driver": "docker_daemon_log_driver",
    "log-opts.max-size": "docker_daemon_log_max_size",
    "log-opts.max-file": "docker_daemon_log_max_file",
    "log-opts": "docker_daemon_log_opts",
    "default-address-pools": "docker_daemon_default_address_pools",
    "userns-remap": "docker_daemon_userns_remap",
    "storage-driver": "docker_daemon_storage_driver",
    "data-root": "docker_daemon_data_root",
    "registry-mirrors": "docker_daemon_registry_mirrors",
    "insecure-registries": "docker_daemon_insecure_registries",
    "hosts": "docker_tls_bind_address/docker_tls_port",
}


def _docker_variable(message, extra_keys):
    key = message.split(":", 1)[0]
    top = key.split(".", 1)[0].split("[", 1)[0]
    if top in extra_keys:
        return "docker_daemon_extra_options"
    for prefix in sorted(_DOCKER_KEYS, key=len, reverse=True):
        if key == prefix or key.startswith(prefix + ".") or key.startswith(prefix + "["):
            return _DOCKER_KEYS[prefix]
    return "docker_daemon_extra_options"


def docker(values, context):
    from ansible_collections.ironclad.infra.plugins.module_utils._docker.daemon import describe_unknown, validate_config

    problems = v.Problems()
    if values.get("docker_tls_enabled"):
        problems.check("docker_tls_port", values.get("docker_tls_port"), v.port)
        problems.check("docker_tls_bind_address", values.get("docker_tls_bind_address"), v.ip_address)
        problems.each("docker_tls_firewall_sources", _list(values.get("docker_tls_firewall_sources")), v.ip_network)
    problems.check("docker_daemon_restart_timeout", values.get("docker_daemon_restart_timeout"), v.int_range(1))
    problems.check("docker_daemon_log_max_file", values.get("docker_daemon_log_max_file"), v.int_range(1))
    users = _list(values.get("docker_users"))
    problems.each("docker_users", users, v.user_name)
    known = context.get("known_users")
    if values.get("docker_users_enabled", True) and known is not None:
        missing = [user for user in users if v.user_name(user) is None and str(user) not in known]
        if missing:
            problems.add("docker_users must name users that exist on %s (create them first, e.g. with "
                         "ansible.builtin.user), got %s, which do not exist" % (context.get("host", "the host"), missing))
    config = values.get("docker_daemon_config")
    if values.get("docker_daemon_enabled", True) and isinstance(config, Mapping):
        extra_keys = set(values.get("docker_daemon_extra_options") or {})
        errors, unknown = validate_config(dict(config))
        for error in errors:
            problems.add("%s (daemon.json %s" % (_docker_variable(error, extra_keys), error.replace(": ", "): ", 1)))
        if unknown and values.get("docker_daemon_unknown_keys", "refuse") == "refuse":
            problems.add("docker_daemon_extra_options: %s" % describe_unknown(unknown).replace(
                "unknown_keys=warn", "docker_daemon_unknown_keys: warn"))
    return problems.messages


# ---- pki -----------------------------------------------------------------------------------------------

def pki(values, context):
    from ansible_collections.ironclad.infra.plugins.module_utils._pki.x509 import PkiError, eku_oids, name_constraint_subtrees, normalize_san

    problems = v.Problems()

    def _with(function, path, value):
        try:
            function(value)
        except (PkiError, ValueError) as exc:
            problems.add("%s: %s" % (path, exc))

    for name in ("pki_ca_name_constraints_permitted", "pki_ca_name_constraints_excluded"):
        for index, value in enumerate(_list(values.get(name))):
            path = "%s[%d]" % (name, index)
            _with(lambda item, path=path: name_constraint_subtrees([item], path), path, value)
    for index, value in enumerate(_list(values.get("pki_certificate_extra_sans"))):
        _with(normalize_san, "pki_certificate_extra_sans[%d]" % index, value)
    for index, value in enumerate(_list(values.get("pki_certificate_extended_key_usage"))):
        _with(lambda item: eku_oids([item]), "pki_certificate_extended_key_usage[%d]" % index, value)
    problems.check("pki_ca_name", values.get("pki_ca_name"), v.matches(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", "a name of letters, digits, _ . -"))
    problems.check("pki_key_mode", values.get("pki_key_mode"), v.matches(r"^0?[0-7]{3}$", 'an octal mode such as "0600"'))
    for name, context_key, kind in (("pki_key_owner", "known_users", "a user"), ("pki_key_group", "known_groups", "a group")):
        known = context.get(context_key)
        if known is not None and values.get(name) is not None and str(values[name]) not in known:
            problems.add("%s must be %s that exists on %s (the key files belong to it), got %s, which does not exist"
                         % (name, kind, context.get("host", "the host"), v.show(values[name])))
    for name in ("pki_ca_key_size", "pki_certificate_key_size"):
        problems.check(name, values.get(name), v.int_range(2048, 16384))
    problems.check("pki_ca_validity_days", values.get("pki_ca_validity_days"), v.int_range(1, 36500))
    if problems.check("pki_certificate_validity_days", values.get("pki_certificate_validity_days"), v.int_range(1, 3650)):
        problems.check("pki_certificate_renew_before_days", values.get("pki_certificate_renew_before_days"),
                       v.int_range(0, int(values["pki_certificate_validity_days"]) - 1))
    if values.get("pki_ssh_enabled"):
        if problems.check("pki_ssh_host_validity_days", values.get("pki_ssh_host_validity_days"), v.int_range(1, 3650)):
            problems.check("pki_ssh_host_renew_before_days", values.get("pki_ssh_host_renew_before_days"),
                           v.int_range(0, int(values["pki_ssh_host_validity_days"]) - 1))
    return problems.messages


ROLES = {
    "docker": docker,
    "firewall": firewall,
    "firewall_lockout": firewall_lockout,
    "haproxy": haproxy,
    "pki": pki,
    "rabbitmq": rabbitmq,
}


def input_errors(role, values, context=None):
    """Every problem of ``role``'s input ``values`` (variable name -> value), as messages; [] when all is well."""
    if role not in ROLES:
        raise ValueError("no input rules for role %r; known roles: %s" % (role, ", ".join(sorted(ROLES))))
    if not isinstance(values, Mapping):
        raise ValueError("the input of role %s must be a mapping of variable names to values" % role)
    return ROLES[role](values, dict(context or {}))
