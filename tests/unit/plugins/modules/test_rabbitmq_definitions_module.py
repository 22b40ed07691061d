"""The rabbitmq_definitions module end to end through AnsibleModule, against a fake rabbitmqctl."""

from __future__ import annotations

import json
import os
import sys

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ironclad.infra.plugins.modules import rabbitmq_definitions

FAKE = os.path.join(os.path.dirname(__file__), "fixtures", "fake_rabbitmqctl.py")

FRESH = {
    "rabbit_version": "3.10.8",
    "rabbitmq_version": "3.10.8",
    "users": [{"name": "guest", "password_hash": "g7PvTnS0Oh5OH0GRoJniF7qNdQ4rtybahRO0Go3c1+kXGrm3",
               "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"], "limits": {}}],
    "vhosts": [{"name": "/", "limits": [], "metadata": {"description": "Default virtual host", "tags": []}}],
    "permissions": [{"user": "guest", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}],
    "topic_permissions": [],
    "policies": [],
    "queues": [],
}


@pytest.fixture
def broker(tmp_path, monkeypatch):
    """A fake broker: returns (args, state reader, call log reader)."""
    state = tmp_path / "state.json"
    state.write_text(json.dumps(FRESH))
    ctl = tmp_path / "rabbitmqctl"
    ctl.write_text('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (sys.executable, FAKE))
    ctl.chmod(0o755)
    monkeypatch.setenv("FAKE_RABBITMQ_STATE", str(state))
    args = {
        "rabbitmqctl_path": str(ctl),
        "vhosts": [{"name": "/", "default_queue_type": "quorum"}, {"name": "orders", "description": "Orders"}],
        "users": [{"name": "app", "password": "s3cret-pw", "tags": ["monitoring"],
                   "permissions": [{"vhost": "orders", "configure": "^app\\.", "write": "^app\\.", "read": "^app\\."}]}],
        "policies": [{"name": "qq", "vhost": "orders", "pattern": ".*", "apply_to": "queues",
                      "definition": {"delivery-limit": 20}}],
    }

    def read_state():
        return json.loads(state.read_text())

    def read_log():
        path = str(state) + ".log"
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return [json.loads(line) for line in handle]

    return args, read_state, read_log


def run_module(capsys, args, check_mode=False, diff=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    if diff:
        args = dict(args, _ansible_diff=True)
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        rabbitmq_definitions.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_converges_then_is_idempotent(capsys, broker):
    args, read_state, read_log = broker
    rc, result = run_module(capsys, args, diff=True)
    assert rc == 0, result
    assert result["changed"] is True
    assert result["rabbitmq_version"] == "3.10.8"
    assert "delete user 'guest'" in result["actions"]
    assert "create vhost 'orders'" in result["actions"]
    state = read_state()
    assert [u["name"] for u in state["users"]] == ["app"]
    assert state["permissions"] == [{"user": "app", "vhost": "orders", "configure": "^app\\.", "write": "^app\\.", "read": "^app\\."}]
    assert [p["name"] for p in state["policies"]] == ["qq"]
    # The 3.10 fallback for the metadata of the existing vhost "/".
    assert "default_queue_type => <<\"quorum\"/utf8>>" in state["_evals"][0]
    # The password went to standard input only, and is not in the result.
    calls = read_log()
    assert any(c["stdin"] == "s3cret-pw\n" and c["argv"][-2:] == ["add_user", "app"] for c in calls)
    assert all("s3cret-pw" not in " ".join(c["argv"]) for c in calls)
    assert "s3cret-pw" not in json.dumps(result)

    rc, result = run_module(capsys, args, diff=True)
    assert rc == 0 and result["changed"] is False, result
    assert result["actions"] == []
    assert result["diff"]["before"] == {} and result["diff"]["after"] == {}


def test_check_mode_changes_nothing(capsys, broker):
    args, read_state, read_log = broker
    rc, result = run_module(capsys, args, check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert read_state()["users"][0]["name"] == "guest"
    assert [c["argv"][1] for c in read_log()] == ["export_definitions"]


def test_password_change_detected_and_masked(capsys, broker):
    args, _read_state, read_log = broker
    run_module(capsys, args)
    args["users"][0]["password"] = "rotated-pw"
    rc, result = run_module(capsys, args, diff=True)
    assert rc == 0 and result["changed"] is True
    assert result["actions"] == ["change the password of user 'app'"]
    assert "rotated-pw" not in json.dumps(result)
    assert read_log()[-1]["stdin"] == "rotated-pw\n"


def test_unknown_vhost_fails_before_any_change(capsys, broker):
    args, read_state, read_log = broker
    args["users"][0]["permissions"].append({"vhost": "shop", "read": ".*"})
    rc, result = run_module(capsys, args)
    assert rc == 1 and result["failed"] is True
    assert "user 'app'" in result["msg"] or "'app'" in result["msg"]
    assert "vhost 'shop'" in result["msg"]
    assert read_state() == FRESH
    assert len(read_log()) == 1  # only the export


def test_malformed_policy_fails_before_any_change(capsys, broker):
    args, read_state, _read_log = broker
    args["policies"][0]["definition"] = {"message-ttl": "one minute"}
    rc, result = run_module(capsys, args)
    assert rc == 1
    assert "policies[0] 'qq' (vhost 'orders'): policy key 'message-ttl' must be a non-negative integer" in result["msg"]
    assert read_state() == FRESH


def test_broker_refusal_reports_what_was_done(capsys, broker, tmp_path):
    args, read_state, _read_log = broker
    state = read_state()
    state["_faults"] = ["fail_policy"]
    (tmp_path / "state.json").write_text(json.dumps(state))
    rc, result = run_module(capsys, args)
    assert rc == 1
    assert result["msg"].startswith("Could not set policy 'qq' on vhost 'orders': rabbitmqctl set_policy failed (rc=69)")
    assert "Already done: update vhost '/' (default_queue_type); create vhost 'orders'" in result["msg"]


def test_broker_down(capsys, broker, tmp_path):
    args, _read_state, _read_log = broker
    args["rabbitmqctl_path"] = str(tmp_path / "missing-rabbitmqctl")
    rc, result = run_module(capsys, args)
    assert rc == 1
    assert "rabbitmqctl" in result["msg"]
