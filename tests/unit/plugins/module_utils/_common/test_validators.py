from __future__ import annotations

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common import validators as v


@pytest.mark.parametrize("rule, good, bad", [
    (v.port, [1, "22", 65535], [0, 70000, "http", True, None, "2 2"]),
    (v.port_spec, [22, "8000:8100", "80,443", "80, 443"], [70000, "8100:8000", "80;443", "", None, "1:2:3"]),
    (v.ip_address, ["10.0.0.5", "fd00::5"], ["10.0.0.300", "10.0.0.0/8", "host"]),
    (v.ip_network, ["10.0.0.0/8", "10.0.0.5/24", "fd00::/64", "192.0.2.7"], ["10.0.0.300/24", "10.0.0.0/33", "lan"]),
    (v.cidr, ["10.200.0.0/16"], ["10.200.0.1/16", "10.200.0.0", "10.0.0.300/16"]),
    (v.host_address, ["10.0.0.5", "fd00::5", "web1.internal", "web-1"], ["10.0.0.300", "1.2.3", "web_1", "-web", ""]),
    (v.listen_address, ["", "*", "127.0.0.1", "::"], ["10.0.0.300", "localhost-ish"]),
    (v.haproxy_duration, ["30s", "500ms", "1m", "10", "100us"], ["30 sec", "30sec", "1.5s", "", True]),
    (v.rabbitmq_size, ["2GB", "500MB", "1GiB", "1000000"], ["2 GB", "lots", "2XB"]),
    (v.fraction, [0.6, "0.4"], [0, 1, 1.5, "most", True]),
    (v.interface, ["eth0", "br-1234567890ab", "veth+"], ["a-name-far-too-long", "eth 0", ""]),
    (v.user_name, ["deploy", "ironclad-ops", "_svc"], ["Deploy", "1user", "de ploy"]),
    (v.int_range(1, 10), [1, "10"], [0, 11, "x", True]),
    (v.one_of(("tcp", "udp")), ["tcp"], ["TCP", "icmp"]),
])
def test_rules_accept_good_values_and_refuse_bad_ones(rule, good, bad):
    assert [value for value in good if rule(value) is not None] == []
    assert [value for value in bad if rule(value) is None] == []


def test_problems_name_the_path_the_rule_and_the_value():
    problems = v.Problems()
    assert problems.check("x_port", 70000, v.port) is False
    assert problems.check("x_port", 80, v.port) is True
    problems.each("x_networks", ["10.0.0.0/8", "10.0.0.300/24"], v.ip_network)
    problems.each("x_list", "not a list", v.ip_network)
    assert problems.messages == [
        "x_port must be a port 1-65535, got 70000",
        "x_networks[1] must be an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/64), got '10.0.0.300/24'",
        "x_list must be a list, got 'not a list'",
    ]


def test_int_range_without_upper_bound_says_so():
    assert v.int_range(1)(0) == "must be a whole number of at least 1"
    assert v.int_range(1)(10 ** 9) is None
