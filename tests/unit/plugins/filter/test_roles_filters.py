from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.filter.roles import os_vars_files

FACTS = {"os_family": "Debian", "distribution": "Debian", "distribution_major_version": "13"}


@pytest.fixture
def role(tmp_path):
    (tmp_path / "vars").mkdir()
    for name in ("main.yml", "Debian.yml", "Debian_13.yml", "Ubuntu.yml"):
        (tmp_path / "vars" / name).write_text("---\n")
    return str(tmp_path)


def test_existing_layers_most_general_first_without_duplicates(role):
    # os_family and distribution are both "Debian": one file, once.
    assert os_vars_files(role, FACTS) == [role + "/vars/Debian.yml", role + "/vars/Debian_13.yml"]


def test_missing_files_and_missing_facts_leave_their_layer_out(role):
    assert os_vars_files(role, dict(FACTS, distribution_major_version="12")) == [role + "/vars/Debian.yml"]
    assert os_vars_files(role, {"os_family": "Debian"}) == [role + "/vars/Debian.yml"]
    assert os_vars_files(role, {}) == []
    assert os_vars_files(role, None) == []
    # An unsupported platform, tried on purpose: its layers still apply.
    assert os_vars_files(role, {"os_family": "Debian", "distribution": "Ubuntu", "distribution_major_version": "24"},
                         allow_unsupported=True) == [role + "/vars/Debian.yml", role + "/vars/Ubuntu.yml"]


@pytest.mark.parametrize("facts, problem", [
    ({"os_family": "Debian", "distribution": "Ubuntu", "distribution_major_version": "24"}, "Ubuntu 24 is not supported"),
    (dict(FACTS, distribution_major_version="11"), "Debian 11 is not supported (supported: Debian 12 and 13)"),
    ({"os_family": "RedHat", "distribution": "Rocky", "distribution_major_version": "9"}, "Rocky 9 is not supported"),
    (dict(FACTS, python={"version": {"major": 3, "minor": 9, "micro": 2}}), "Python 3.9 is too old (the modules need 3.11"),
])
def test_an_unsupported_platform_is_refused_with_the_role_and_the_way_out(role, facts, problem):
    with pytest.raises(AnsibleFilterError) as raised:
        os_vars_files(role + "/", facts)
    message = str(raised.value)
    assert message.startswith("%s: unsupported platform, nothing was changed: " % role.rsplit("/", 1)[-1]), message
    assert problem in message and "ironclad_allow_unsupported_platforms: true" in message, message


def test_supported_releases_and_pythons_pass(role):
    for major, minor in (("12", 11), ("13", 13)):
        facts = dict(FACTS, distribution_major_version=major, python={"version": {"major": 3, "minor": minor}})
        assert os_vars_files(role, facts)


@pytest.mark.parametrize("role_path, facts, message", [
    (None, FACTS, "must be the role's path"),
    ("", FACTS, "must be the role's path"),
    ("/x", ["Debian"], "must be ansible_facts"),
])
def test_bad_input_says_what_to_pass(role_path, facts, message):
    with pytest.raises(AnsibleFilterError, match=message):
        os_vars_files(role_path, facts)
