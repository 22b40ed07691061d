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
    assert os_vars_files(role, {"os_family": "Debian", "distribution": "Ubuntu", "distribution_major_version": "24"}) == [
        role + "/vars/Debian.yml", role + "/vars/Ubuntu.yml"]


@pytest.mark.parametrize("role_path, facts, message", [
    (None, FACTS, "must be the role's path"),
    ("", FACTS, "must be the role's path"),
    ("/x", ["Debian"], "must be ansible_facts"),
])
def test_bad_input_says_what_to_pass(role_path, facts, message):
    with pytest.raises(AnsibleFilterError, match=message):
        os_vars_files(role_path, facts)
