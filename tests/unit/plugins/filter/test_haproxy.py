from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.filter.haproxy import FilterModule, haproxy_backends, haproxy_servers

HOSTVARS = {
    "web1": {"ansible_host": "10.0.0.11", "ansible_default_ipv4": {"address": "192.0.2.11"}},
    "web2": {"ansible_host": "10.0.0.12", "haproxy_server_weight": 50, "haproxy_server_backup": True},
    "web3": {"haproxy_server_address": "web3.internal", "haproxy_server_port": 8443, "haproxy_server_name": "w3"},
    "bare": {},
}
GROUPS = {"webservers": ["web1", "web2"], "empty": [], "all": list(HOSTVARS)}


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"haproxy_servers", "haproxy_backends", "haproxy_firewall_services"}


def test_servers_from_a_group_with_host_overrides():
    servers = haproxy_servers(["web1", "web2", "web3"], HOSTVARS, port=8080, weight=100)
    assert servers == [
        {"name": "web1", "address": "10.0.0.11", "port": 8080, "weight": 100, "backup": False, "options": []},
        {"name": "web2", "address": "10.0.0.12", "port": 8080, "weight": 50, "backup": True, "options": []},
        {"name": "w3", "address": "web3.internal", "port": 8443, "weight": 100, "backup": False, "options": []},
    ]


def test_address_falls_back_to_the_inventory_name():
    assert haproxy_servers(["bare"], HOSTVARS, port=80)[0]["address"] == "bare"
    assert haproxy_servers(["bare"], port=80)[0] == {
        "name": "bare",
        "address": "bare",
        "port": 80,
        "weight": None,
        "backup": False,
        "options": [],
    }


def test_address_from_a_fact_path():
    assert haproxy_servers(["web1"], HOSTVARS, port=80, address_var="ansible_default_ipv4.address")[0]["address"] == "192.0.2.11"


def test_missing_fact_says_what_to_do():
    with pytest.raises(AnsibleFilterError, match="gather its facts"):
        haproxy_servers(["web2"], HOSTVARS, port=80, address_var="ansible_default_ipv4.address")


def test_missing_port_says_where_to_set_it():
    with pytest.raises(AnsibleFilterError, match="haproxy_server_port"):
        haproxy_servers(["web1"], HOSTVARS)


@pytest.mark.parametrize("port", [0, 70000, "http", True])
def test_bad_port(port):
    with pytest.raises(AnsibleFilterError, match="not a TCP port"):
        haproxy_servers(["web1"], HOSTVARS, port=port)


@pytest.mark.parametrize("weight", [-1, 257, "heavy"])
def test_bad_weight(weight):
    with pytest.raises(AnsibleFilterError, match="0 to 256"):
        haproxy_servers(["web1"], HOSTVARS, port=80, weight=weight)


def test_backup_accepts_yaml_strings_and_refuses_junk():
    assert haproxy_servers(["bare"], {"bare": {"haproxy_server_backup": "yes"}}, port=80)[0]["backup"] is True
    with pytest.raises(AnsibleFilterError, match="boolean"):
        haproxy_servers(["bare"], {"bare": {"haproxy_server_backup": "maybe"}}, port=80)


def test_bad_server_name():
    with pytest.raises(AnsibleFilterError, match="not valid for HAProxy"):
        haproxy_servers(["bare"], {"bare": {"haproxy_server_name": "web 1"}}, port=80)


def test_duplicate_server_names():
    hostvars = {"a": {"haproxy_server_name": "same"}, "b": {"haproxy_server_name": "same"}}
    with pytest.raises(AnsibleFilterError, match="Duplicate server name 'same'"):
        haproxy_servers(["a", "b"], hostvars, port=80)


def test_host_missing_from_hostvars():
    with pytest.raises(AnsibleFilterError, match="not in hostvars"):
        haproxy_servers(["ghost"], HOSTVARS, port=80)


def test_a_string_instead_of_a_list():
    with pytest.raises(AnsibleFilterError, match="list of inventory host names"):
        haproxy_servers("webservers", HOSTVARS, port=80)


def test_backends_expand_groups_after_explicit_servers():
    backends = [
        {
            "name": "web",
            "group": "webservers",
            "port": 8080,
            "balance": "leastconn",
            "servers": [{"name": "spare", "address": "10.9.9.9", "backup": True}],
        },
        {"name": "api", "servers": [{"address": "10.1.1.1", "port": 9000, "weight": 10, "options": ["maxconn 50"]}]},
    ]
    result = haproxy_backends(backends, hostvars=HOSTVARS, groups=GROUPS)
    assert [server["name"] for server in result[0]["servers"]] == ["spare", "web1", "web2"]
    assert result[0]["servers"][0] == {
        "name": "spare",
        "address": "10.9.9.9",
        "port": 8080,
        "weight": None,
        "backup": True,
        "options": [],
    }
    assert result[0]["balance"] == "leastconn"
    assert result[1]["servers"] == [{"name": "10.1.1.1", "address": "10.1.1.1", "port": 9000, "weight": 10, "backup": False, "options": ["maxconn 50"]}]
    # The input is not modified.
    assert backends[0]["servers"] == [{"name": "spare", "address": "10.9.9.9", "backup": True}]


def test_backend_with_an_empty_group_has_no_servers():
    assert haproxy_backends([{"name": "web", "group": "empty", "port": 80}], HOSTVARS, GROUPS)[0]["servers"] == []


def test_backend_with_an_unknown_group():
    with pytest.raises(AnsibleFilterError, match="group 'webs', which does not exist"):
        haproxy_backends([{"name": "web", "group": "webs", "port": 80}], HOSTVARS, GROUPS)


def test_backend_group_needs_groups():
    with pytest.raises(AnsibleFilterError, match="pass groups=groups"):
        haproxy_backends([{"name": "web", "group": "webservers", "port": 80}], HOSTVARS)


def test_duplicate_backends():
    with pytest.raises(AnsibleFilterError, match="Duplicate backend name 'web'"):
        haproxy_backends([{"name": "web"}, {"name": "web"}])


def test_server_listed_and_in_group_is_a_duplicate():
    backends = [{"name": "web", "group": "webservers", "port": 80, "servers": [{"name": "web1", "address": "x"}]}]
    with pytest.raises(AnsibleFilterError, match="Duplicate server name 'web1' in backend web"):
        haproxy_backends(backends, HOSTVARS, GROUPS)


@pytest.mark.parametrize(
    "backend, message",
    [
        ({"servers": []}, "needs a 'name'"),
        ({"name": "w eb"}, "not valid for HAProxy"),
        ({"name": "web", "servers": [{"port": 80}]}, "has no 'address'"),
        ({"name": "web", "servers": [{"address": "a"}]}, "has no port"),
        ({"name": "web", "servers": ["10.0.0.1:80"]}, "must be a dict"),
        ({"name": "web", "servers": [{"address": "a", "port": 80, "options": "check"}]}, "list of server keywords"),
        ({"name": "web", "port": 80, "servers": [{"address": "10.0.0.5"}, {"address": "10.0.0.300"}]},
         r"^haproxy_backends\[0\]\.servers\[1\]\.address must be an IP address .* or a host name, got '10.0.0.300'"),
        ({"name": "web", "port": 80, "servers": [{"address": "a", "port": 70000}]},
         r"^haproxy_backends\[0\]\.servers\[0\]\.port is not a TCP port: it must be a port 1-65535, got 70000"),
    ],
)
def test_backend_errors(backend, message):
    with pytest.raises(AnsibleFilterError, match=message):
        haproxy_backends([backend])


def test_backends_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="list of backend dicts"):
        haproxy_backends({"name": "web"})


def test_firewall_services_open_each_public_bind_port_once():
    from ansible_collections.ironclad.infra.plugins.filter.haproxy import haproxy_firewall_services

    frontends = [
        {"name": "web", "binds": [{"address": "*", "port": 80}, {"address": "*", "port": 443, "tls": True}]},
        {"name": "api", "binds": [{"address": "::", "port": 443}, {"address": "127.0.0.1", "port": 9000}]},
    ]
    services = haproxy_firewall_services(frontends, ["10.0.0.0/8"])
    assert [service["port"] for service in services] == ["80", "443"]
    assert all(service["sources"] == ["10.0.0.0/8"] and service["protocol"] == "tcp" for service in services)


def test_firewall_services_reject_a_bad_port():
    import pytest
    from ansible.errors import AnsibleFilterError
    from ansible_collections.ironclad.infra.plugins.filter.haproxy import haproxy_firewall_services

    with pytest.raises(AnsibleFilterError, match=r"^haproxy_frontends\[0\]\.binds\[0\]\.port is not a TCP port"):
        haproxy_firewall_services([{"name": "web", "binds": [{"address": "*", "port": 70000}]}])
