from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.filter.network import (
    FilterModule,
    group_addresses,
    in_networks,
    ipv4,
    ipv6,
    service_rules,
)

HOSTVARS = {
    "web1": {"ansible_host": "10.0.1.11", "ansible_facts": {
        "default_ipv4": {"address": "10.0.1.11"}, "default_ipv6": {"address": "fd00:1::11"},
        "all_ipv4_addresses": ["10.0.1.11", "172.17.0.1"], "all_ipv6_addresses": ["fd00:1::11", "fe80::1"]}},
    "web2": {"ansible_host": "web2.example.com", "ansible_facts": {"default_ipv4": {"address": "10.0.1.12"}}},
    "db1": {"ansible_host": "fd00:2::5"},
    "nofacts": {"ansible_host": "nofacts.example.com"},
}
GROUPS = {"all": ["web1", "web2", "db1", "nofacts"], "web": ["web1", "web2"], "db": ["db1"], "broken": ["nofacts"]}


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"group_addresses", "ipv4", "ipv6", "in_networks", "service_rules",
                                             "firewall_input_rules", "firewall_docker_user_rules"}


def test_group_addresses_of_groups():
    assert group_addresses(["web", "db"], HOSTVARS, groups=GROUPS) == ["10.0.1.11", "fd00:1::11", "10.0.1.12", "fd00:2::5"]


def test_group_addresses_of_hosts_and_single_name():
    assert group_addresses("web2", HOSTVARS) == ["10.0.1.12"]
    assert group_addresses(GROUPS["web"], HOSTVARS, family="ipv6") == ["fd00:1::11"]


def test_group_addresses_family_prefix_and_all_addresses():
    assert group_addresses("web", HOSTVARS, groups=GROUPS, family="ipv4", prefix=True) == ["10.0.1.11/32", "10.0.1.12/32"]
    assert group_addresses("web1", HOSTVARS, all_addresses=True) == ["10.0.1.11", "172.17.0.1", "fd00:1::11"]


def test_group_addresses_errors_name_the_problem():
    with pytest.raises(AnsibleFilterError, match="no address known for nofacts"):
        group_addresses("broken", HOSTVARS, groups=GROUPS)
    with pytest.raises(AnsibleFilterError, match="neither a group nor a host"):
        group_addresses("nosuch", HOSTVARS, groups=GROUPS)
    with pytest.raises(AnsibleFilterError, match="pass groups=groups"):
        group_addresses("web", HOSTVARS)
    with pytest.raises(AnsibleFilterError, match="family must be"):
        group_addresses("web1", HOSTVARS, family="v4")


def test_ipv4_ipv6_split():
    mixed = ["10.0.0.0/8", "fd00::/8", " 192.0.2.7 ", "2001:db8::1"]
    assert ipv4(mixed) == ["10.0.0.0/8", "192.0.2.7"]
    assert ipv6(mixed) == ["fd00::/8", "2001:db8::1"]
    assert ipv4("10.0.0.1") == ["10.0.0.1"]
    assert ipv6(None) == []


def test_ipv4_refuses_host_names():
    with pytest.raises(AnsibleFilterError, match=r"^ipv4 input\[1\]: 'web01' is not an IP address"):
        ipv4(["10.0.0.1", "web01"])
    with pytest.raises(AnsibleFilterError, match=r"^firewall_ssh_sources\[0\]: '10.0.0.300/24' is not an IP address"):
        ipv6(["10.0.0.300/24"], label="firewall_ssh_sources")
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        ipv6({"a": 1})


@pytest.mark.parametrize("address, networks, expected", [
    ("10.0.0.5", ["10.0.0.0/8"], True),
    ("10.0.0.5", ["192.168.0.0/16", "fd00::/8"], False),
    ("fd00::5", ["10.0.0.0/8", "fd00::/8"], True),
    ("10.1.0.0/16", ["10.0.0.0/8"], True),
    ("", ["10.0.0.0/8"], False),
    (None, ["10.0.0.0/8"], False),
    ("10.0.0.5", [], False),
    ("::ffff:10.0.0.5", ["10.0.0.0/8"], True),
])
def test_in_networks(address, networks, expected):
    assert in_networks(address, networks) is expected


def test_service_rules_open_and_restricted():
    rules = service_rules([
        {"name": "https", "port": 443},
        {"name": "pg", "port": "5432", "sources": ["10.0.2.0/24", "fd00:2::/64"]},
        {"name": "dns", "port": 53, "protocol": "udp", "family": "ipv4"},
        {"name": "web", "port": "80,443", "interface": "eth0"},
        {"name": "range", "port": "8000:8100", "comment": "app ports"},
    ])
    assert rules == [
        {"rule": "-p tcp --dport 443 -j ACCEPT", "family": "auto", "comment": "https"},
        {"rule": "-s 10.0.2.0/24 -p tcp --dport 5432 -j ACCEPT", "family": "auto", "comment": "pg"},
        {"rule": "-s fd00:2::/64 -p tcp --dport 5432 -j ACCEPT", "family": "auto", "comment": "pg"},
        {"rule": "-p udp --dport 53 -j ACCEPT", "family": "ipv4", "comment": "dns"},
        {"rule": "-i eth0 -p tcp -m multiport --dports 80,443 -j ACCEPT", "family": "auto", "comment": "web"},
        {"rule": "-p tcp --dport 8000:8100 -j ACCEPT", "family": "auto", "comment": "app ports"},
    ]


def test_service_rules_with_groups_and_family():
    rules = service_rules([{"name": "app", "port": 8080, "source_groups": ["web"], "family": "ipv6"}],
                          hostvars=HOSTVARS, groups=GROUPS)
    assert rules == [{"rule": "-s fd00:1::11 -p tcp --dport 8080 -j ACCEPT", "family": "auto", "comment": "app"}]
    # sources that are all of the other family: the service stays closed, never "open to all"
    assert service_rules([{"name": "v6only", "port": 1, "sources": ["fd00::1"], "family": "ipv4"}]) == []


@pytest.mark.parametrize("service, message", [
    ({"name": "x"}, "needs a port"),
    ({"name": "x", "port": "http"}, r"firewall_services\[0\]\.port must be a port 1-65535, a range"),
    ({"name": "x", "port": 70000}, r"firewall_services\[0\]\.port must be .*, got 70000"),
    ({"name": "x", "port": "8100:8000"}, "a range such as 8000:8100"),
    ({"name": "x", "port": 1, "protocol": "icmp"}, "tcp or udp"),
    ({"name": "x", "port": 1, "sources": ["web01"]}, r"firewall_services\[0\]\.sources\[0\]: 'web01' is not an IP address"),
    ({"name": "x", "port": 1, "prot": "tcp"}, "unknown keys: prot"),
    ({"name": "x", "port": 1, "family": "v6"}, "family must be"),
    ({"name": "x", "port": 1, "source_groups": ["web"]}, "pass hostvars"),
    ("ssh", "must be a dict"),
])
def test_service_rules_errors(service, message):
    with pytest.raises(AnsibleFilterError, match=message):
        service_rules([service])
