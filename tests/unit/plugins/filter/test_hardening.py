from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.filter.hardening import FilterModule, hardening_areas, hardening_sysctl_settings
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.areas import AREAS, ROLE_AREAS


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"hardening_areas", "hardening_sysctl_settings"}


def test_areas_of_the_role_and_of_the_audit():
    assert hardening_areas("role") == list(ROLE_AREAS)
    assert hardening_areas("audit") == list(AREAS) == [*ROLE_AREAS, "ssh"]
    assert hardening_areas("role")[:2] == ["sysctl", "kernel_modules"]


def test_unknown_area_list_is_refused():
    with pytest.raises(AnsibleFilterError, match="must be role or audit, got 'ssh'"):
        hardening_areas("ssh")


def test_sysctl_composition_order_and_precedence():
    settings = hardening_sysctl_settings(
        {"net.ipv4.tcp_syncookies": 1, "net.ipv4.ip_forward": 1}, {"kernel.sysrq": 0}, False, True,
        extra={"kernel.sysrq": 1, "vm.swappiness": 10})
    assert list(settings.items()) == [
        ("net.ipv4.tcp_syncookies", 1), ("net.ipv4.ip_forward", 0), ("kernel.sysrq", 1),
        ("net.ipv6.conf.all.forwarding", 0), ("net.ipv6.conf.all.accept_ra", 1), ("net.ipv6.conf.default.accept_ra", 1),
        ("vm.swappiness", 10),
    ]


def test_extra_wins_over_the_switches():
    settings = hardening_sysctl_settings({}, {}, True, False, {"net.ipv4.ip_forward": 0})
    assert settings["net.ipv4.ip_forward"] == 0 and settings["net.ipv6.conf.all.forwarding"] == 1


def test_a_parameter_set_that_is_no_dict_is_named():
    with pytest.raises(AnsibleFilterError, match="kernel must be a dict"):
        hardening_sysctl_settings({}, ["kernel.sysrq"], False, False)
