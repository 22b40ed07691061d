"""The module end to end through AnsibleModule: argument spec, exit/fail JSON, check mode, file mode."""

from __future__ import annotations

import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ironclad.infra.plugins.modules import docker_daemon_config


def run_module(capsys, args, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        docker_daemon_config.main()
    result = json.loads(capsys.readouterr().out)
    return exit_info.value.code, result


@pytest.fixture
def args(tmp_path):
    return {
        "path": str(tmp_path / "daemon.json"),
        # A dockerd that does not exist: these tests must not depend on the machine's Docker.
        "dockerd_path": str(tmp_path / "no-dockerd"),
        "config": {"live-restore": True, "log-opts": {"max-size": "10m", "max-file": "3"}},
        "mode": "0644",
    }


def test_writes_then_is_idempotent(capsys, args):
    rc, result = run_module(capsys, args)
    assert rc == 0, result
    assert result["changed"] is True
    assert json.load(open(args["path"])) == args["config"]
    assert stat.S_IMODE(os.stat(args["path"]).st_mode) == 0o644
    assert result["validation"] == {"schema": "ok", "dockerd": "skipped (dockerd is not installed)"}

    rc, result = run_module(capsys, args)
    assert rc == 0 and result["changed"] is False


def test_check_mode_on_fresh_host_writes_nothing(capsys, args):
    rc, result = run_module(capsys, args, check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert not os.path.exists(args["path"])


def test_invalid_setting_fails_and_keeps_the_file(capsys, args):
    run_module(capsys, args)
    before = open(args["path"]).read()
    rc, result = run_module(capsys, dict(args, config={"live-restore": "yes"}))
    assert rc == 1
    assert result["failed"] is True
    assert "live-restore: must be a boolean" in result["msg"]
    assert open(args["path"]).read() == before


def test_unknown_option_value_is_rejected_by_the_argument_spec(capsys, args):
    rc, result = run_module(capsys, dict(args, unknown_keys="ignore"))
    assert rc == 1 and "unknown_keys" in result["msg"]
