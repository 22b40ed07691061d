from __future__ import annotations

import json
import os
import socket
import threading

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.ironclad.infra.plugins.module_utils._haproxy.spec import ARGUMENT_SPEC
from ansible_collections.ironclad.infra.plugins.modules import haproxy_server_state

SERVERS_STATE = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\n4 web 1 web1 10.0.0.1 2 {admin} 1 1\n\n"
STAT = "# pxname,svname,qcur,qmax,scur\nweb,web1,0,0,0\n\n"


def run_module(args, monkeypatch, check_mode=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=True)
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    with pytest.raises(SystemExit):
        haproxy_server_state.main()


class FakeSocketServer:
    """A UNIX socket that answers like HAProxy's runtime API, one command per connection."""

    def __init__(self, path):
        self.admin = 0
        self.commands = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn = self.server.accept()[0]
            except OSError:
                return
            with conn:
                command = conn.makefile().readline().strip()
                self.commands.append(command)
                if command.startswith("show servers state"):
                    answer = SERVERS_STATE.format(admin=self.admin)
                elif command.startswith("show stat"):
                    answer = STAT
                elif command == "set server web/web1 state drain":
                    self.admin = 8
                    answer = "\n"
                else:
                    answer = "Unknown command.\n"
                conn.sendall(answer.encode())

    def close(self):
        self.server.close()


@pytest.fixture
def fake_haproxy(tmp_path):
    path = str(tmp_path / "admin.sock")
    server = FakeSocketServer(path)
    yield path, server
    server.close()
    os.unlink(path)


def test_documentation_matches_argument_spec():
    doc = yaml.safe_load(haproxy_server_state.DOCUMENTATION)
    spec = ARGUMENT_SPEC
    assert set(doc["options"]) == set(spec)
    for name, option in spec.items():
        assert doc["options"][name]["type"] == option["type"], name
        assert doc["options"][name].get("default") == option.get("default"), name
        assert doc["options"][name].get("choices") == option.get("choices"), name
    assert doc["attributes"]["check_mode"]["support"] == "full"
    assert set(yaml.safe_load(haproxy_server_state.RETURN)) >= {"state", "previous_state", "sessions", "actions"}
    yaml.safe_load(haproxy_server_state.EXAMPLES)


def test_drain_through_a_real_socket(fake_haproxy, monkeypatch, capsys):
    path, server = fake_haproxy
    run_module({"socket": path, "backend": "web", "server": "web1", "state": "drain", "wait_interval": 0.01}, monkeypatch)
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is True, result
    assert result["state"] == "drain" and result["drained"] is True
    assert "set server web/web1 state drain" in server.commands
    assert result["diff"]["after"] == {"web/web1.state": "drain"}


def test_check_mode_sends_no_change(fake_haproxy, monkeypatch, capsys):
    path, server = fake_haproxy
    run_module({"socket": path, "backend": "web", "server": "web1", "state": "drain"}, monkeypatch, check_mode=True)
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is True
    assert not [command for command in server.commands if command.startswith("set")]


def test_missing_socket_fails_with_a_hint(tmp_path, monkeypatch, capsys):
    run_module({"socket": str(tmp_path / "none.sock"), "backend": "web", "server": "web1"}, monkeypatch)
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert "stats socket" in result["msg"]


def test_weight_out_of_range_is_refused(monkeypatch, capsys):
    run_module({"backend": "web", "server": "web1", "weight": 300}, monkeypatch)
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert "0 and 256" in result["msg"]
