"""The firewall role's rule strings, built by ``firewall_input_rules`` and ``firewall_docker_user_rules``.

The cases in ``fixtures/firewall_rules_rendered_by_jinja.json`` were rendered by the role's former Jinja
(``roles/firewall/vars/main.yml``) with ansible-core: the filters must give the same strings, byte for byte,
for the same variables, so moving the rules into Python changed no rule on any host.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.filter.network import firewall_docker_user_rules, firewall_input_rules
from conftest import COLLECTION_ROOT

with open(os.path.join(os.path.dirname(__file__), "fixtures", "firewall_rules_rendered_by_jinja.json"), encoding="utf-8") as _handle:
    CASES = json.load(_handle)["cases"]

DEFAULTS = dict(ssh_port=22, ssh_rate_limit=True, ssh_rate_limit_seconds=60, ssh_rate_limit_hits=6, icmp_echo=True,
                log_drops=True, log_limit="5/min", log_burst=10, log_prefix="ironclad-fw-drop: ")


def input_rules(services=(), **changes):
    """The filter with the role's defaults, ``changes`` over them."""
    options = dict(DEFAULTS)
    options.update(changes)
    return firewall_input_rules(list(services), **options)


def input_rules_of(variables):
    """The filter called as roles/firewall/vars/main.yml calls it."""
    return firewall_input_rules(
        variables["__firewall_service_rules"],
        ssh_port=variables["firewall_ssh_port"], management_networks=variables["firewall_management_networks"],
        ssh_sources=variables["firewall_ssh_sources"], ssh_rate_limit=variables["firewall_ssh_rate_limit_enabled"],
        ssh_rate_limit_seconds=variables["firewall_ssh_rate_limit_seconds"],
        ssh_rate_limit_hits=variables["firewall_ssh_rate_limit_hits"], icmp_echo=variables["firewall_icmp_echo_enabled"],
        extra_rules=variables["firewall_extra_input_rules"], log_drops=variables["firewall_log_drops_enabled"],
        log_limit=variables["firewall_log_limit"], log_burst=variables["firewall_log_burst"],
        log_prefix=variables["firewall_log_prefix"],
    )


def test_the_cases_cover_every_kind_of_rule():
    rules = [rule for case in CASES for rule in case["input_rules"] + case["docker_user_rules"] if isinstance(rule, str)]
    for part in ("ironclad-management-ssh", "--set --name ironclad-ssh", "--update --seconds", "--comment ironclad-ssh -j",
                 "--icmp-type echo-request", "--hl-eq 255", "-j LOG --log-prefix '", "-s 10.0.0.0/8 -j RETURN", "-i eth0 -j DROP"):
        assert any(part in rule for rule in rules), part


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_input_rules_are_those_the_role_rendered_in_jinja(case):
    assert input_rules_of(case["variables"]) == case["input_rules"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_docker_user_rules_are_those_the_role_rendered_in_jinja(case):
    variables = case["variables"]
    rules = firewall_docker_user_rules(variables["firewall_docker_user_interfaces"], variables["firewall_docker_user_sources"])
    assert rules == case["docker_user_rules"]


def test_rate_limit_only_guards_ssh_sources():
    with_sources = firewall_input_rules([], ssh_sources=["192.0.2.1"], **DEFAULTS)
    without = firewall_input_rules([], management_networks=["10.0.0.0/8"], **DEFAULTS)
    assert sum("-m recent" in rule for rule in with_sources) == 2
    assert not any("-m recent" in rule for rule in without)
    assert with_sources.index("-s 192.0.2.1 -p tcp --dport 22 -m comment --comment ironclad-ssh -j ACCEPT") == 5


def test_log_prefix_is_quoted_as_one_word():
    rules = input_rules(log_prefix="drop $x; ")
    assert rules[-1] == "-m limit --limit 5/min --limit-burst 10 -j LOG --log-prefix 'drop $x; '"


def test_service_and_extra_rules_pass_through_in_place():
    service = {"rule": "-p tcp --dport 443 -j ACCEPT", "family": "auto", "comment": "https"}
    extra = {"rule": "-p udp --dport 53 -j ACCEPT"}
    rules = input_rules([service], extra_rules=[extra], log_drops=False)
    assert rules.index(service) == 3 and rules[-1] is extra


def test_a_list_option_given_a_dict_names_it():
    with pytest.raises(AnsibleFilterError, match="management_networks must be a list"):
        firewall_input_rules([], management_networks={"10.0.0.0/8": 1}, **DEFAULTS)


def test_the_role_writes_no_rule_string_in_yaml():
    """Every rule of the firewall role comes from the filters: its variables file only calls them."""
    with open(os.path.join(COLLECTION_ROOT, "roles", "firewall", "vars", "main.yml"), encoding="utf-8") as handle:
        role_vars = yaml.safe_load(handle)
    templated = "\n".join(value for value in role_vars.values() if isinstance(value, str))
    assert "ironclad.infra.firewall_input_rules(" in role_vars["__firewall_input_rules"]
    assert "ironclad.infra.firewall_docker_user_rules(" in role_vars["__firewall_docker_user_rules"]
    for syntax in ("-j ", "--dport", "--ctstate", "-m "):
        assert syntax not in templated, syntax
