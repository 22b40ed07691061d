from __future__ import annotations

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._host.systemd_units import (
    SystemdUnitsError,
    action_commands,
    normalise_units,
    parse_show,
    plan_units,
    probe_command,
    unchanged_result,
)
from ansible_collections.ironclad.infra.plugins.module_utils._host.systemd_units_backend import SystemdUnitsBackend
from conftest import FakeModule

SHOW = """Id=fail2ban.service
LoadState=loaded
ActiveState=inactive
SubState=dead
UnitFileState=disabled
ConditionResult=no
ConditionTimestampMonotonic=0

Id=chrony.service
LoadState=loaded
ActiveState=inactive
SubState=dead
UnitFileState=enabled
ConditionResult=no
ConditionTimestampMonotonic=123456

Id=nope.service
LoadState=not-found
ActiveState=inactive
SubState=dead
UnitFileState=
ConditionResult=no
ConditionTimestampMonotonic=0
"""


def test_parse_show_maps_blocks_in_order():
    status = parse_show(SHOW, ["fail2ban.service", "chrony.service", "nope.service"])
    assert status["chrony.service"]["UnitFileState"] == "enabled"
    assert status["nope.service"]["LoadState"] == "not-found"


def test_plan_starts_never_run_units_and_skips_failed_conditions():
    status = parse_show(SHOW, ["fail2ban.service", "chrony.service", "nope.service"])
    units = normalise_units([
        {"name": "fail2ban", "enabled": True, "state": "started"},
        {"name": "chrony", "enabled": True, "state": "started"},
        {"name": "nope", "enabled": False, "state": "stopped"},
    ])
    actions, skipped, problems = plan_units(units, status)
    assert actions == {"enable": ["fail2ban.service"], "start": ["fail2ban.service"]}
    assert [s["name"] for s in skipped] == ["chrony.service", "nope.service"]
    assert problems == []


def test_missing_unit_that_must_run_is_a_problem():
    units = normalise_units([{"name": "nope", "state": "started"}])
    _a, skipped, problems = plan_units(units, parse_show(SHOW, ["fail2ban.service", "chrony.service", "nope.service"]))
    assert problems == ["nope.service"] and skipped == []
    tolerant = normalise_units([{"name": "nope", "state": "started", "missing_ok": True}])
    _a, skipped, problems = plan_units(tolerant, {"nope.service": {"LoadState": "not-found"}})
    assert problems == [] and skipped == [{"name": "nope.service", "reason": "unit is not installed"}]


def test_action_commands_order():
    commands = action_commands("systemctl", {"start": ["a"], "enable": ["a", "b"], "start_no_block": ["c"], "unmask": ["b"]})
    assert commands == [
        ["systemctl", "unmask", "--", "b"],
        ["systemctl", "enable", "--", "a", "b"],
        ["systemctl", "start", "--", "a"],
        ["systemctl", "start", "--no-block", "--", "c"],
    ]


@pytest.mark.parametrize("units, message", [
    ([{"name": "a", "state": "running"}], "started or stopped"),
    ([{"name": "a"}, "a.service"], "listed twice"),
    ([{"name": "a", "masked": True, "enabled": True}], "cannot be enabled"),
])
def test_bad_units(units, message):
    with pytest.raises(SystemdUnitsError, match=message):
        normalise_units(units)


def systemd_module(units, outputs, check_mode=False):
    """systemctl answers ``show`` with ``outputs`` in turn and every other verb with success."""
    outputs = list(outputs)

    def systemctl(argv, **_kwargs):
        return (0, outputs.pop(0), "") if argv[1] == "show" else (0, "", "")

    return FakeModule("systemd_units", {"units": units}, check_mode=check_mode, commands=systemctl, bin_paths="/bin")


def test_module_runs_one_command_per_verb():
    after = SHOW.replace("ActiveState=inactive\nSubState=dead\nUnitFileState=disabled", "ActiveState=active\nSubState=running\nUnitFileState=enabled", 1)
    module = systemd_module([{"name": "fail2ban", "enabled": True, "state": "started"}], [SHOW, after])
    result = SystemdUnitsBackend(module, DifferenceTracker()).run()
    assert result["changed"] is True
    assert ["/bin/systemctl", "enable", "--", "fail2ban.service"] in module.commands
    assert ["/bin/systemctl", "start", "--", "fail2ban.service"] in module.commands
    assert result["units"]["fail2ban.service"] == {"active": "active", "enabled": "enabled"}


def test_module_check_mode_runs_only_show():
    module = systemd_module([{"name": "fail2ban", "enabled": True, "state": "started"}], [SHOW], check_mode=True)
    result = SystemdUnitsBackend(module, DifferenceTracker()).run()
    assert result["changed"] is True
    assert [c[1] for c in module.commands] == ["show"]


def test_missing_units_in_check_mode_are_skipped_not_failed():
    module = systemd_module([{"name": "nope", "enabled": True, "state": "started"}],
                            ["Id=nope.service\nLoadState=not-found\nActiveState=inactive\n"], check_mode=True)
    result = SystemdUnitsBackend(module, DifferenceTracker()).run()
    assert result["skipped"][0]["name"] == "nope.service"
    assert result["changed"] is False


# --- shortcut of the action plugin: one systemctl show decides whether the module must run -----------

RUNNING = """Id=chrony.service
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
ConditionResult=yes
ConditionTimestampMonotonic=123456
"""


def unit_params(**unit):
    entry = {"name": "chrony", "enabled": True, "state": "started", "masked": None, "no_block": False,
             "missing_ok": False, "restarted": False}
    entry.update(unit)
    return {"units": [entry], "daemon_reload": False}


def test_probe_command_is_the_module_show_command_quoted():
    assert probe_command(unit_params()) == ("systemctl show --no-pager --property=Id,LoadState,ActiveState,SubState,"
                                            "UnitFileState,ConditionResult,ConditionTimestampMonotonic -- chrony.service")


def test_probe_command_is_none_for_a_daemon_reload():
    assert probe_command(dict(unit_params(), daemon_reload=True)) is None


@pytest.mark.parametrize("unit, probed, unchanged", [
    ({}, RUNNING, True),
    ({"restarted": True}, RUNNING, False),  # a restart was asked for
    ({"state": "stopped"}, RUNNING, False),
    ({"enabled": False}, RUNNING, False),
    ({}, RUNNING.replace("ActiveState=active", "ActiveState=inactive"), False),
    ({}, RUNNING.replace("UnitFileState=enabled", "UnitFileState=disabled"), False),
    ({}, RUNNING.replace("Id=chrony.service", "Id=chronyd.service"), False),  # another unit answered
    ({}, "", False),
    ({"missing_ok": True}, SHOW.split("\n\n")[2], True),  # not installed, allowed: skipped
])
def test_unchanged_result(unit, probed, unchanged):
    if unit.get("missing_ok"):
        params = unit_params(name="nope", **unit)
    else:
        params = unit_params(**unit)
    result = unchanged_result(params, probed)
    if unchanged:
        assert result["changed"] is False and result["actions"] == []
        name = normalise_units(params["units"])[0]["name"]
        assert name in result["units"]
    else:
        assert result is None
