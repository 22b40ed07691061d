"""run_module() end to end through AnsibleModule: exit/fail JSON, errors, missing library, check and diff mode."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import fill_null_defaults, run_module, tracked

SPEC = dict(
    name=dict(type="str", required=True),
    secret=dict(type="str", no_log=True),
    mode=dict(type="str", choices=["a", "b"]),
    other=dict(type="str"),
)


class BackendError(Exception):
    pass


class Backend:
    """Records what it was built with and returns (or raises) what the test gives it."""

    built = []

    def __init__(self, module, tracker=None):
        self.module = module
        self.tracker = tracker
        self.result = {"changed": True, "name": module.params["name"], "check_mode": module.check_mode,
                       "diff": {"before": "x", "after": "y"}}
        self.raises = None
        Backend.built.append(self)

    def run(self):
        if self.raises is not None:
            raise self.raises
        return self.result


@pytest.fixture(autouse=True)
def _forget_backends():
    Backend.built = []


def built_with(**attributes):
    """A back-end factory whose Backend gets ``attributes`` (``raises=...``, ``result=...``)."""
    def build(module):
        backend = Backend(module)
        for name, value in attributes.items():
            setattr(backend, name, value)
        return backend
    return build


def raising(exc):
    return built_with(raises=exc)


def returning(result):
    return built_with(result=result)


def run(capsys, args, *run_args, check_mode=False, diff=False, **run_kwargs):
    """run_module() with ``args`` as the task arguments; returns (exit code, result)."""
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        run_module(*run_args, **run_kwargs)
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_success_exits_with_the_backend_result(capsys):
    rc, result = run(capsys, {"name": "web"}, SPEC, Backend)
    assert rc == 0
    assert result["changed"] is True and result["name"] == "web"
    assert "failed" not in result


def test_check_mode_reaches_the_backend(capsys):
    rc, result = run(capsys, {"name": "web"}, SPEC, Backend, check_mode=True)
    assert rc == 0 and result["check_mode"] is True
    rc, result = run(capsys, {"name": "web"}, SPEC, Backend)
    assert result["check_mode"] is False


def test_backend_error_fails_with_its_message(capsys):
    rc, result = run(capsys, {"name": "web"}, SPEC, raising(BackendError("no such unit 'web'")), {BackendError: "%s"})
    assert rc == 1
    assert result["failed"] is True and result["msg"] == "no such unit 'web'"


def test_errors_are_tried_in_order_with_their_templates(capsys):
    errors = {BackendError: "%s", OSError: "could not write a file: %s"}
    rc, result = run(capsys, {"name": "web"}, SPEC, raising(PermissionError(13, "Permission denied")), errors)
    assert rc == 1 and result["msg"] == "could not write a file: [Errno 13] Permission denied"
    rc, result = run(capsys, {"name": "web"}, SPEC, raising(BackendError("100% wrong")), {(BackendError, ValueError): "failed: %s"})
    assert result["msg"] == "failed: 100% wrong"


def test_error_function_gives_more_than_a_message(capsys):
    def failure(exc, backend):
        return {"msg": str(exc), "actions": ["drained"], "backend_name": backend.module.params["name"]}

    rc, result = run(capsys, {"name": "web"}, SPEC, raising(BackendError("timeout")), {BackendError: failure})
    assert rc == 1
    assert result["msg"] == "timeout" and result["actions"] == ["drained"] and result["backend_name"] == "web"


def test_other_exceptions_are_not_swallowed(capsys):
    with patch_module_args({"name": "web"}), pytest.raises(KeyError):
        run_module(SPEC, raising(KeyError("bug")), {BackendError: "%s"})


def test_missing_library_fails_with_the_install_hint_before_the_backend_runs(capsys):
    error = ImportError("No module named 'cryptography'")
    rc, result = run(capsys, {"name": "web"}, SPEC, Backend, required_library=("cryptography (Debian: python3-cryptography)", error))
    assert rc == 1
    assert result["msg"] == missing_required_lib("cryptography (Debian: python3-cryptography)")
    assert "Failed to import the required Python library" in result["msg"]
    assert Backend.built == []


def test_present_library_lets_the_backend_run(capsys):
    rc, result = run(capsys, {"name": "web"}, SPEC, Backend, required_library=("cryptography", None))
    assert rc == 0 and result["name"] == "web"


def test_precheck_message_fails_before_anything_else(capsys):
    def parameter_error(module):
        return "name must not be 'bad'" if module.params["name"] == "bad" else None

    rc, result = run(capsys, {"name": "bad"}, SPEC, Backend, precheck=parameter_error, required_library=("lib", ImportError("x")))
    assert rc == 1 and result["msg"] == "name must not be 'bad'"
    assert Backend.built == []
    rc, result = run(capsys, {"name": "good"}, SPEC, Backend, precheck=parameter_error)
    assert rc == 0


def test_precheck_may_answer_itself(capsys):
    def answer(module):
        module.exit_json(changed=True, answered=True)

    rc, result = run(capsys, {"name": "web"}, SPEC, Backend, precheck=answer, required_library=("lib", ImportError("x")))
    assert rc == 0 and result["answered"] is True


def test_diff_is_kept_unless_the_module_drops_it_outside_diff_mode(capsys):
    rc, result = run(capsys, {"name": "web"}, SPEC, Backend)
    assert rc == 0 and result["diff"] == {"before": "x", "after": "y"}
    rc, result = run(capsys, {"name": "web"}, SPEC, Backend, diff_mode_only=True)
    assert rc == 0 and "diff" not in result
    rc, result = run(capsys, {"name": "web"}, SPEC, Backend, diff=True, diff_mode_only=True)
    assert rc == 0 and result["diff"] == {"before": "x", "after": "y"}


def test_failed_result_fails_with_the_whole_result(capsys):
    rc, result = run(capsys, {"name": "web"}, SPEC, returning({"changed": True, "failed": True, "msg": "sessions left", "sessions": 3}))
    assert rc == 1
    assert result["failed"] is True and result["msg"] == "sessions left" and result["sessions"] == 3


def test_no_log_values_stay_out_of_the_result(capsys):
    rc, result = run(capsys, {"name": "web", "secret": "hunter2-pw"}, SPEC, returning({"changed": False, "echo": "key hunter2-pw"}))
    assert rc == 0
    assert "hunter2-pw" not in json.dumps(result)


def test_module_keyword_arguments_reach_ansible_module(capsys):
    rc, result = run(capsys, {"name": "web", "mode": "a", "other": "x"}, SPEC, Backend, mutually_exclusive=[["mode", "other"]])
    assert rc == 1 and "mutually exclusive" in result["msg"]
    rc, result = run(capsys, {"name": "web", "mode": "a"}, SPEC, Backend, required_if=[["mode", "a", ["other"]]])
    assert rc == 1 and "other" in result["msg"]
    assert Backend.built == []


def test_argument_spec_errors_fail_before_the_backend(capsys):
    rc, result = run(capsys, {}, SPEC, Backend)
    assert rc == 1 and "name" in result["msg"]
    assert Backend.built == []


def test_tracked_builds_with_a_fresh_tracker_each_time(capsys):
    run(capsys, {"name": "web"}, SPEC, tracked(Backend))
    run(capsys, {"name": "web"}, SPEC, tracked(Backend))
    first, second = Backend.built
    assert isinstance(first.tracker, DifferenceTracker) and isinstance(second.tracker, DifferenceTracker)
    assert first.tracker is not second.tracker


def test_null_options_get_their_spec_default_also_in_suboptions():
    spec = {"vhosts": {"type": "list", "elements": "dict", "default": [],
                       "options": {"name": {"type": "str"}, "tracing": {"type": "bool", "default": False}}},
            "state": {"type": "str", "default": "present"},
            "path": {"type": "path"}}
    params = {"vhosts": [{"name": "/", "tracing": None}], "state": None, "path": None}
    assert fill_null_defaults(params, spec) == {"vhosts": [{"name": "/", "tracing": False}], "state": "present", "path": None}
    assert fill_null_defaults({"vhosts": None}, spec)["vhosts"] == []
