"""Every place that names the os_hardening control areas names exactly the areas of the one list
(``plugins/module_utils/_hardening/areas.py``), in its order where the place has one.

The switch table in ``vars/main.yml`` is built from that list (filter ``ironclad.infra.hardening_areas``) and the
audit's default areas are derived from it; what YAML must spell out literally is compared here: the tags in
``tasks/main.yml``, the switches in ``defaults/main.yml`` and ``meta/argument_specs.yml``, the areas the task
files and the per-area tables refer to, and the area names in the audit module's documentation.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.areas import AREAS, DEFAULT_AREAS, ROLE_AREAS

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "os_hardening")
SWITCH = re.compile(r"^os_hardening_(.+)_enabled$")
SELECTED = re.compile(r"'([a-z0-9_]+)' in __os_hardening_selected_areas")


def load(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def area_tags():
    return ["os_hardening"] + ["os_hardening_%s" % area for area in ROLE_AREAS]


def test_the_list_is_whole():
    assert len(ROLE_AREAS) == len(set(ROLE_AREAS)) == 20
    assert AREAS == (*ROLE_AREAS, "ssh")
    assert [area for area, on in DEFAULT_AREAS.items() if not on] == ["remote_syslog"]
    assert list(DEFAULT_AREAS) == list(AREAS)


def test_defaults_have_one_switch_per_area_in_order():
    defaults = load(ROLE, "defaults", "main.yml")
    switches = [(SWITCH.match(name).group(1), value) for name, value in defaults.items() if SWITCH.match(name)]
    assert [area for area, _value in switches] == list(ROLE_AREAS)
    assert dict(switches) == {area: DEFAULT_AREAS[area] for area in ROLE_AREAS}


def test_argument_specs_document_every_switch_with_its_default():
    options = load(ROLE, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    switches = {SWITCH.match(name).group(1): spec for name, spec in options.items() if SWITCH.match(name)}
    assert list(switches) == list(ROLE_AREAS)
    for area, spec in switches.items():
        assert (spec["type"], spec["default"]) == ("bool", DEFAULT_AREAS[area]), area


def test_tasks_tag_every_area_and_only_areas():
    tasks = load(ROLE, "tasks", "main.yml")
    all_areas = [task["tags"] for task in tasks if len(task.get("tags") or []) > 3]
    assert all_areas and all(tags == area_tags() for tags in all_areas)
    for task in tasks:
        tags = task.get("tags") or []
        assert tags == ["always"] or set(tags) <= set(area_tags()), task["name"]
        for area in SELECTED.findall(str(task.get("when", ""))):
            assert area in ROLE_AREAS and "os_hardening_%s" % area in tags, (task["name"], area)


@pytest.mark.parametrize("name", ["tasks/%s" % f for f in sorted(os.listdir(os.path.join(ROLE, "tasks")))] + ["handlers/main.yml"])
def test_task_files_name_only_areas_of_the_list(name):
    with open(os.path.join(ROLE, name), encoding="utf-8") as handle:
        named = SELECTED.findall(handle.read())
    assert set(named) <= set(ROLE_AREAS)


def test_the_switch_table_is_built_from_the_list_and_the_area_tables_use_its_names():
    role_vars = load(ROLE, "vars", "main.yml")
    assert "ironclad.infra.hardening_areas" in role_vars["__os_hardening_areas"]
    assert "os_hardening_\\1_enabled" in role_vars["__os_hardening_switches"]
    for table in ("__os_hardening_container_skip_reasons", "__os_hardening_area_packages", "__os_hardening_area_files",
                  "__os_hardening_area_units"):
        assert set(role_vars[table]) <= set(ROLE_AREAS), table


def test_the_audit_documents_exactly_its_areas():
    with open(os.path.join(ROOT, "plugins", "modules", "hardening_audit.py"), encoding="utf-8") as handle:
        source = handle.read()
    documentation = yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
    text = " ".join(documentation["options"]["areas"]["description"])
    listed = re.findall(r"V\(([a-z0-9_]+)\)", text.split("Areas are", 1)[1])
    assert listed == list(AREAS)
    off = [area for area in AREAS if not DEFAULT_AREAS[area]]
    assert "all on except %s" % ", ".join("V(%s)" % area for area in off) in text
