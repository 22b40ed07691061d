from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.filter.input import FilterModule, input_errors
from ansible_collections.ironclad.infra.plugins.module_utils._docker.daemon import validate_config

FIREWALL = {
    "firewall_management_networks": ["10.0.0.0/8"], "firewall_ssh_sources": [], "firewall_docker_user_sources": [],
    "firewall_docker_user_enabled": True, "firewall_docker_user_interfaces": ["eth0"], "firewall_ssh_port": 22,
    "firewall_ssh_rate_limit_hits": 6, "firewall_ssh_rate_limit_seconds": 60, "firewall_rollback_timeout": 60,
    "firewall_log_limit": "5/min", "firewall_log_burst": 10, "firewall_log_prefix": "ironclad-fw-drop: ",
    "firewall_force": False, "firewall_ipv6_enabled": True,
    "firewall_services_by_variable": {"firewall_services": [{"name": "web", "port": "80,443"}]},
}
HAPROXY = {
    "haproxy_timeout_client": "30s", "haproxy_check_inter": "2s", "haproxy_maxconn": 4096, "haproxy_nbthread": 0,
    "haproxy_retries": 3, "haproxy_check_fall": 3, "haproxy_check_rise": 2, "haproxy_hsts_max_age": 63072000,
    "haproxy_runtime_socket_mode": "660", "haproxy_stats_enabled": True, "haproxy_stats_port": 8404,
    "haproxy_stats_address": "127.0.0.1", "haproxy_firewall_sources": [], "haproxy_firewall_admin_sources": [],
    "haproxy_frontends": [{"name": "web", "binds": [{"address": "*", "port": 80}, {"port": 443, "tls": True}]}],
    "haproxy_backends": [{"name": "web", "group": "webservers", "port": 80,
                          "servers": [{"name": "static", "address": "static.internal"}, {"address": "10.0.0.7"}]}],
    "haproxy_keepalived_enabled": False,
}
RABBITMQ = {
    "rabbitmq_amqps_port": 5671, "rabbitmq_amqps_address": "", "rabbitmq_amqp_plain_enabled": False,
    "rabbitmq_amqp_plain_port": 5672, "rabbitmq_amqp_plain_address": "", "rabbitmq_management_enabled": True,
    "rabbitmq_management_port": 15671, "rabbitmq_management_address": "", "rabbitmq_prometheus_enabled": True,
    "rabbitmq_prometheus_port": 15692, "rabbitmq_prometheus_address": "", "rabbitmq_vm_memory_high_watermark": 0.6,
    "rabbitmq_disk_free_limit": "2GB", "rabbitmq_health_timeout": 300, "rabbitmq_restart_delay": 5,
    "rabbitmq_firewall_client_sources": [], "rabbitmq_firewall_admin_sources": [],
}
DOCKER = {
    "docker_daemon_enabled": True, "docker_daemon_extra_options": {}, "docker_daemon_unknown_keys": "refuse",
    "docker_daemon_restart_timeout": 60, "docker_daemon_log_max_file": 3, "docker_tls_enabled": False,
    "docker_tls_port": 2376, "docker_tls_bind_address": "0.0.0.0", "docker_tls_firewall_sources": [],
    "docker_users_enabled": True, "docker_users": [],
    "docker_daemon_config": {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"},
                             "icc": False, "iptables": True, "hosts": ["fd://"],
                             "default-address-pools": [{"base": "172.17.0.0/16", "size": 24}]},
}
PKI = {
    "pki_ca_name": "ironclad", "pki_ca_name_constraints_permitted": ["DNS:.lab.example", "IP:10.20.0.0/16"],
    "pki_ca_name_constraints_excluded": [], "pki_certificate_extra_sans": ["DNS:web.lab.example", "IP:10.20.0.5"],
    "pki_certificate_extended_key_usage": ["server", "client"], "pki_key_mode": "0600", "pki_ca_key_size": 4096,
    "pki_certificate_key_size": 3072, "pki_ca_validity_days": 3650, "pki_certificate_validity_days": 365,
    "pki_certificate_renew_before_days": 30, "pki_ssh_enabled": False,
}
GOOD = {"firewall": FIREWALL, "haproxy": HAPROXY, "rabbitmq": RABBITMQ, "docker": DOCKER, "pki": PKI}


def _with(base, **changes):
    values = dict(base)
    values.update(changes)
    return values


def test_filter_is_registered():
    assert FilterModule().filters() == {"input_errors": input_errors}


@pytest.mark.parametrize("role", sorted(GOOD))
def test_the_defaults_pass(role):
    assert input_errors(GOOD[role], role) == []


def test_the_docker_defaults_pass_the_module_schema_too():
    assert validate_config(DOCKER["docker_daemon_config"]) == ([], [])


CASES = [
    ("firewall", {"firewall_services_by_variable": {"firewall_services": [{"name": "a", "port": 22}, {"name": "b", "port": 80},
                                                                          {"name": "c", "port": 70000}]}},
     "firewall_services[2].port must be a port 1-65535, a range such as 8000:8100 or a list such as 80,443, got 70000"),
    ("firewall", {"firewall_services_by_variable": {"firewall_services": [],
                                                    "firewall_services__docker": [{"name": "x", "port": 1, "sources": ["web01"]}]}},
     "firewall_services__docker[0].sources[0] must be an IP address or network"),
    ("firewall", {"firewall_management_networks": ["10.0.0.300/24"]},
     "firewall_management_networks[0] must be an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/64), got '10.0.0.300/24'"),
    ("firewall", {"firewall_ssh_port": 0}, "firewall_ssh_port must be a port 1-65535, got 0"),
    ("firewall", {"firewall_log_limit": "5 per minute"}, "firewall_log_limit must be a rate such as 5/min"),
    ("firewall", {"firewall_docker_user_interfaces": ["eth 0"]}, "firewall_docker_user_interfaces[0] must be a network interface name"),
    ("firewall", {"firewall_log_prefix": "x" * 30}, "firewall_log_prefix must be at most 29 characters"),
    ("haproxy", {"haproxy_timeout_client": "30 sec"},
     "haproxy_timeout_client must be a HAProxy time: a number with an optional unit us, ms, s, m, h or d, no space (e.g. 30s), got '30 sec'"),
    ("haproxy", {"haproxy_backends": [{"name": "web", "port": 80, "servers": [{"address": "10.0.0.5"}, {"address": "10.0.0.300"}]}]},
     "haproxy_backends[0].servers[1].address must be an IP address (e.g. 10.0.0.5, fd00::5) or a host name, got '10.0.0.300'"),
    ("haproxy", {"haproxy_backends": [{"name": "web", "servers": [{"address": "10.0.0.5"}]}]},
     "haproxy_backends[0].servers[0].port must be set on the server or on its backend"),
    ("haproxy", {"haproxy_frontends": [{"name": "web", "binds": [{"port": 70000}]}]},
     "haproxy_frontends[0].binds[0].port must be a port 1-65535, got 70000"),
    ("haproxy", {"haproxy_stats_address": "10.0.0.300"}, "haproxy_stats_address must be empty or '*'"),
    ("haproxy", {"haproxy_keepalived_enabled": True, "haproxy_keepalived_interface": "eth0", "haproxy_keepalived_virtual_router_id": 300,
                 "haproxy_keepalived_priority": 100, "haproxy_keepalived_check_interval": 2,
                 "haproxy_keepalived_virtual_addresses": ["10.0.0.30/24"], "haproxy_keepalived_unicast_peers": []},
     "haproxy_keepalived_virtual_router_id must be a whole number 1-255, got 300"),
    ("rabbitmq", {"rabbitmq_amqps_port": 70000}, "rabbitmq_amqps_port must be a port 1-65535, got 70000"),
    ("rabbitmq", {"rabbitmq_amqps_address": "10.0.0.300"}, "rabbitmq_amqps_address must be empty (every address) or an IPv4 or IPv6 address"),
    ("rabbitmq", {"rabbitmq_management_port": 5671}, "rabbitmq_management_port must differ from rabbitmq_amqps_port, both are 5671"),
    ("rabbitmq", {"rabbitmq_prometheus_port": 25672}, "rabbitmq_prometheus_port must not be a port the nodes use among themselves"),
    ("rabbitmq", {"rabbitmq_disk_free_limit": "2 GB"}, "rabbitmq_disk_free_limit must be a size such as 2GB"),
    ("rabbitmq", {"rabbitmq_vm_memory_high_watermark": 1.5}, "rabbitmq_vm_memory_high_watermark must be a fraction between 0 and 1"),
    ("docker", {"docker_users": ["deploy"]}, "docker_users must name users that exist on h1"),
    ("docker", {"docker_users": ["De Ploy"]}, "docker_users[0] must be a user name"),
    ("docker", {"docker_daemon_extra_options": {"log-levle": "info"}, "docker_daemon_config": dict(DOCKER["docker_daemon_config"], **{"log-levle": "info"})},
     "docker_daemon_extra_options: unknown daemon.json option(s): log-levle (did you mean log-level"),
    ("docker", {"docker_daemon_config": dict(DOCKER["docker_daemon_config"], **{"default-address-pools": [{"base": "10.0.0.300/16", "size": 24}]})},
     "docker_daemon_default_address_pools (daemon.json default-address-pools[0].base): '10.0.0.300/16' is not a network address"),
    ("docker", {"docker_daemon_config": dict(DOCKER["docker_daemon_config"], **{"log-opts": {"max-size": "10 parsecs", "max-file": "3"}})},
     "docker_daemon_log_max_size (daemon.json log-opts.max-size): '10 parsecs' is not a size"),
    ("docker", {"docker_tls_enabled": True, "docker_tls_port": 70000}, "docker_tls_port must be a port 1-65535, got 70000"),
    ("pki", {"pki_ca_name_constraints_permitted": ["IP:10.0.0.300/24"]},
     "pki_ca_name_constraints_permitted[0]: pki_ca_name_constraints_permitted[0] entry 'IP:10.0.0.300/24' is not a network"),
    ("pki", {"pki_ca_name_constraints_excluded": ["10.0.0.0/8"]}, "pki_ca_name_constraints_excluded[0]"),
    ("pki", {"pki_certificate_extra_sans": ["IP:10.0.0.300"]}, "pki_certificate_extra_sans[0]: subject alternative name 'IP:10.0.0.300' is not an IP address"),
    ("pki", {"pki_certificate_extended_key_usage": ["serverauth"]}, "pki_certificate_extended_key_usage[0]: unknown extended key usage 'serverauth'"),
    ("pki", {"pki_certificate_renew_before_days": 400}, "pki_certificate_renew_before_days must be a whole number 0-364, got 400"),
    ("pki", {"pki_key_mode": "600x"}, "pki_key_mode must be an octal mode"),
]


@pytest.mark.parametrize("role, changes, expected", CASES, ids=[case[2][:50] for case in CASES])
def test_a_bad_value_is_named_with_what_is_allowed(role, changes, expected):
    errors = input_errors(_with(GOOD[role], **changes), role, {"host": "h1", "known_users": ["root", "ironclad-ops"]})
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors


def test_every_problem_is_reported_at_once():
    errors = input_errors(_with(RABBITMQ, rabbitmq_amqps_port=70000, rabbitmq_disk_free_limit="lots"), "rabbitmq")
    assert [error.split(" ", 1)[0] for error in errors] == ["rabbitmq_amqps_port", "rabbitmq_disk_free_limit"]


@pytest.mark.parametrize("changes, context, expected", [
    ({"pki_key_owner": "haproxy", "pki_key_group": "root"}, {"known_users": [], "known_groups": ["root"]},
     "pki_key_owner must be a user that exists on h1 (the key files belong to it), got 'haproxy', which does not exist"),
    ({"pki_key_owner": "root", "pki_key_group": "ssl-cert"}, {"known_users": ["root"], "known_groups": []},
     "pki_key_group must be a group that exists on h1"),
])
def test_pki_key_owner_and_group_must_exist(changes, context, expected):
    errors = input_errors(_with(PKI, **changes), "pki", dict(context, host="h1"))
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert input_errors(_with(PKI, **changes), "pki", {"host": "h1"}) == []


def test_users_are_not_looked_up_without_the_host_s_answer():
    assert input_errors(_with(DOCKER, docker_users=["deploy"]), "docker", {}) == []


@pytest.mark.parametrize("changes, context, expected", [
    ({"firewall_management_networks": []}, {}, "neither firewall_management_networks nor firewall_ssh_sources is set"),
    ({}, {"controller_address": "192.0.2.9"}, "this controller connects to this host from 192.0.2.9"),
    ({}, {"controller_address": "10.1.2.3", "controller_port": "2222"}, "this controller connects to this host from 10.1.2.3 (to port 2222)"),
])
def test_the_lockout_guard_refuses_a_policy_that_closes_ssh(changes, context, expected):
    errors = input_errors(_with(FIREWALL, **changes), "firewall_lockout", context)
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert input_errors(_with(FIREWALL, firewall_force=True, **changes), "firewall_lockout", context) == []


@pytest.mark.parametrize("context", [{}, {"controller_address": "10.1.2.3", "controller_port": "22"},
                                     {"controller_address": "::ffff:10.1.2.3"}])
def test_the_lockout_guard_lets_the_controller_s_own_network_pass(context):
    assert input_errors(FIREWALL, "firewall_lockout", context) == []


def test_an_ipv6_controller_counts_only_when_ipv6_is_managed():
    context = {"controller_address": "fd00::1", "controller_port": "22"}
    assert input_errors(FIREWALL, "firewall_lockout", context)[0].startswith("this controller connects to this host from fd00::1")
    assert input_errors(_with(FIREWALL, firewall_ipv6_enabled=False), "firewall_lockout", context) == []
    assert input_errors(_with(FIREWALL, firewall_management_networks=["fd00::/64"]), "firewall_lockout", context) == []


def test_unknown_role_and_wrong_input_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match="no input rules for role 'nginx'"):
        input_errors({}, "nginx")
    with pytest.raises(AnsibleFilterError, match="must be a mapping"):
        input_errors(["x"], "firewall")
