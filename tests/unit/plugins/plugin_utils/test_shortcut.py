"""The shortcut base of the action plugins: the module runs unless the probe proves "no change"."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from ansible.plugins.action import ActionBase
from ansible_collections.ironclad.infra.plugins.plugin_utils._shortcut import ShortcutAction

UNCHANGED = {"changed": False, "actions": []}


class Probe(ShortcutAction):
    module_name = "ironclad.infra.example"
    argument_spec = {"names": {"type": "list", "elements": "str", "required": True},
                     "force": {"type": "bool", "default": False}}

    def probe_command(self, params):
        if "bad name" in params["names"]:
            raise ValueError("bad name")
        return None if params["force"] else "probe " + " ".join(params["names"])

    def unchanged_result(self, params, stdout):
        return dict(UNCHANGED) if stdout == "ok" else None


def make(args, probe=None):
    task = mock.MagicMock()
    task.args = args
    action = Probe(task, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(), mock.MagicMock(), mock.MagicMock())
    action._low_level_execute_command = mock.MagicMock(return_value=probe or {"rc": 0, "stdout": "ok"})
    action._execute_module = mock.MagicMock(return_value={"changed": True, "from": "module"})
    return action


def run(action):
    with mock.patch.object(ActionBase, "run", return_value={}):
        return action.run(task_vars={})


def test_a_proven_no_change_returns_the_result_without_the_module():
    action = make({"names": ["a", "b"]})
    assert run(action) == UNCHANGED
    action._low_level_execute_command.assert_called_once_with("probe a b", sudoable=True)
    action._execute_module.assert_not_called()


@pytest.mark.parametrize("args, probe", [
    ({"names": ["a"]}, {"rc": 0, "stdout": "not ok"}),  # the probe shows work to do
    ({"names": ["a"]}, {"rc": 1, "stdout": "ok"}),  # the probe failed
    ({"names": ["a"], "force": True}, None),  # these parameters always need the module
    ({"names": ["bad name"]}, None),  # bad input: the module reports it
    ({"names": "a", "unknown": 1}, None),  # rejected by the argument spec
    ({}, None),  # a required option missing
])
def test_any_doubt_runs_the_module_with_the_task_args(args, probe):
    action = make(args, probe)
    assert run(action) == {"changed": True, "from": "module"}
    action._execute_module.assert_called_once_with(module_name="ironclad.infra.example", module_args=args, task_vars={})


def test_a_backend_module_supplies_spec_probe_and_decision():
    backend = SimpleNamespace(ARGUMENT_SPEC=Probe.argument_spec,
                              probe_command=lambda params: "probe " + " ".join(params["names"]),
                              unchanged_result=lambda params, stdout: dict(UNCHANGED) if stdout == "ok" else None)

    class ByBackend(ShortcutAction):
        module_name = "ironclad.infra.example"

    ByBackend.backend = backend
    task = mock.MagicMock()
    task.args = {"names": ["a"]}
    action = ByBackend(task, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(), mock.MagicMock(), mock.MagicMock())
    action._low_level_execute_command = mock.MagicMock(return_value={"rc": 0, "stdout": "ok"})
    action._execute_module = mock.MagicMock()
    assert run(action) == UNCHANGED
    action._execute_module.assert_not_called()
