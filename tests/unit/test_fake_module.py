"""The shared fake AnsibleModule of conftest.py handles parameters as AnsibleModule does."""

from __future__ import annotations

import pytest
from conftest import ExitJson, FailJson, FakeModule, module_spec

SPEC = {
    "path": {"type": "path", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "count": {"type": "int", "default": 3},
    "items": {"type": "list", "elements": "dict",
              "options": {"name": {"type": "str", "required": True}, "enabled": {"type": "bool", "default": True}}},
}


def test_parameters_are_converted_and_defaulted_as_ansible_does():
    module = FakeModule(SPEC, {"path": "/etc/x", "count": "5", "items": [{"name": "a"}]})
    assert module.params == {"path": "/etc/x", "state": "present", "count": 5, "items": [{"name": "a", "enabled": True}]}
    assert module.check_mode is False and module._diff is False


@pytest.mark.parametrize("params, message", [
    ({}, "missing required arguments: path"),
    ({"path": "/x", "state": "gone"}, "value of state must be one of: present, absent, got: gone"),
    ({"path": "/x", "colour": "red"}, "colour. Supported parameters include: count, items, path, state"),
    ({"path": "/x", "items": [{"enabled": False}]}, "missing required arguments: name found in items"),
])
def test_parameters_the_module_would_refuse_fail_the_test(params, message):
    with pytest.raises(AssertionError, match=message):
        FakeModule(SPEC, params)


def test_a_module_name_reads_the_spec_main_uses():
    assert FakeModule("sysctl_settings", {"settings": {"a.b": 1}}).params["unavailable"] == "report"
    assert "unsafe_writes" in module_spec("docker_daemon_config")  # add_file_common_args adds the file options


def test_fail_and_exit_raise_with_their_arguments():
    module = FakeModule(SPEC, {"path": "/x"}, check_mode=True, diff=True)
    assert module.check_mode and module._diff
    with pytest.raises(FailJson) as failed:
        module.fail_json(msg="bad", rc=2)
    assert failed.value.kwargs == {"msg": "bad", "rc": 2} == failed.value.args[0]
    with pytest.raises(ExitJson) as exited:
        module.exit_json(changed=True)
    assert exited.value.kwargs == {"changed": True}


def test_run_command_records_and_answers_from_its_script():
    module = FakeModule(SPEC, {"path": "/x"}, commands=[(0, "one", ""), (1, "", "two")])
    assert module.run_command(["a"]) == (0, "one", "")
    assert module.run_command(["b"], environ_update={"LC_ALL": "C"}) == (1, "", "two")
    with pytest.raises(AssertionError, match="not expected"):
        module.run_command(["c"])
    assert module.commands == [["a"], ["b"], ["c"]]
    scripted = FakeModule(SPEC, {"path": "/x"}, commands=lambda argv, **_kw: (0, " ".join(argv), ""))
    assert scripted.run_command(["echo", "hi"]) == (0, "echo hi", "")
    assert FakeModule(SPEC, {"path": "/x"}).run_command(["true"]) == (0, "", "")


def test_get_bin_path_answers_from_a_directory_a_table_or_a_function():
    assert FakeModule(SPEC, {"path": "/x"}).get_bin_path("apt-get") == "/usr/bin/apt-get"
    assert FakeModule(SPEC, {"path": "/x"}, bin_paths={"sshd": "/usr/sbin/sshd"}).get_bin_path("ssh") is None
    assert FakeModule(SPEC, {"path": "/x"}, bin_paths=None).get_bin_path("mount") is None
    assert FakeModule(SPEC, {"path": "/x"}, bin_paths=lambda n: "/opt/" + n).get_bin_path("x") == "/opt/x"
