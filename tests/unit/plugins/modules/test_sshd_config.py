from __future__ import annotations

import json

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.spec import SSHD_CONFIG_ARGUMENT_SPEC
from ansible_collections.ironclad.infra.plugins.modules import sshd_config


def run_module(args, monkeypatch):
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    with pytest.raises(SystemExit):
        sshd_config.main()


def test_documentation_matches_argument_spec():
    doc = yaml.safe_load(sshd_config.DOCUMENTATION)
    spec = SSHD_CONFIG_ARGUMENT_SPEC
    assert set(doc["options"]) == set(spec)
    for name, option in spec.items():
        assert doc["options"][name]["type"] == option["type"], name
        if "options" in option:
            assert set(doc["options"][name]["suboptions"]) == set(option["options"]), name
    assert doc["attributes"]["check_mode"]["support"] == "full"
    yaml.safe_load(sshd_config.EXAMPLES)
    yaml.safe_load(sshd_config.RETURN)


def test_bad_mode_fails_with_a_message(monkeypatch, capsys):
    run_module({"settings": {"Port": 22}, "mode": "rw-r--r--"}, monkeypatch)
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert "mode must be an octal string" in result["msg"]


def test_unknown_host_key_type_is_refused(monkeypatch, capsys):
    run_module({"settings": {}, "host_keys": [{"path": "/x", "type": "ecdsa"}]}, monkeypatch)
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert "ecdsa" in result["msg"]
