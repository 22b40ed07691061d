from __future__ import annotations

import json
from types import SimpleNamespace

from ansible_collections.ironclad.infra.plugins.callback.summary import CallbackModule


class FakeHost:
    def __init__(self, name):
        self._name = name

    def get_name(self):
        return self._name


def make_result(host, task, payload):
    return SimpleNamespace(_host=FakeHost(host), _task=SimpleNamespace(get_name=lambda: task), task_name=task, _result=payload)


class Recorder:
    def __init__(self):
        self.lines = []

    def display(self, msg, *args, **kwargs):
        self.lines.append(msg)

    def banner(self, msg, *args, **kwargs):
        self.lines.append(msg)


def run(callback, tmp_path):
    out = tmp_path / "summary.json"
    # Options normally come from the plugin loader (documentation + env); set the resolved value.
    callback._plugin_options = {"output_file": str(out)}
    callback._display = Recorder()
    callback.v2_playbook_on_stats(None)
    return json.loads(out.read_text()), "\n".join(callback._display.lines)


def test_records_changes_failures_and_verifications(tmp_path):
    callback = CallbackModule()
    callback.v2_runner_on_ok(make_result("web1", "Install packages", {"changed": True}))
    callback.v2_runner_on_ok(make_result("web1", "Read facts", {"changed": False}))
    callback.v2_runner_on_ok(make_result("web1", "Verify HTTPS answers", {"changed": False}))
    callback.v2_runner_on_failed(make_result("web2", "Verify port 23 is dropped", {"msg": "connected"}))
    callback.v2_runner_on_failed(make_result("web2", "Ignored", {"msg": "x"}), ignore_errors=True)
    data, text = run(callback, tmp_path)
    assert data["web1"]["changed"] == ["Install packages"]
    assert data["web1"]["verified"] == [{"check": "Verify HTTPS answers", "passed": True}]
    assert data["web2"]["failed"] == [{"task": "Verify port 23 is dropped", "msg": "connected"}]
    assert data["web2"]["verified"] == [{"check": "Verify port 23 is dropped", "passed": False}]
    assert "web2: FAILED" in text
    assert "web1: ok, 1 change(s), 1/1 verification(s) passed" in text


def test_unreachable_host_is_reported(tmp_path):
    callback = CallbackModule()
    callback.v2_runner_on_unreachable(make_result("db1", "Gathering Facts", {}))
    data, text = run(callback, tmp_path)
    assert data["db1"]["unreachable"] is True
    assert "db1: UNREACHABLE" in text


class FakeStats:
    def __init__(self, failures):
        self._failures = failures

    def summarize(self, host):
        return {"failures": self._failures.get(host, 0)}


def test_a_rescued_failure_does_not_fail_the_host(tmp_path):
    callback = CallbackModule()
    callback.v2_runner_on_failed(make_result("lb1", "Install the package", {"msg": "no package"}))
    out = tmp_path / "summary.json"
    callback._plugin_options = {"output_file": str(out)}
    callback._display = Recorder()
    callback.v2_playbook_on_stats(FakeStats({}))
    text = "\n".join(callback._display.lines)
    assert "lb1: ok" in text
    assert "rescued: Install the package: no package" in text
    assert json.loads(out.read_text())["lb1"]["rescued"] is True
