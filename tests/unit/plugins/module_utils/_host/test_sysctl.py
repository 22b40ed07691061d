from __future__ import annotations

import errno
import os

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._host.sysctl import (
    SysctlError,
    key_to_path,
    parse_file,
    plan_runtime,
    render_file,
    validate_settings,
)
from ansible_collections.ironclad.infra.plugins.module_utils._host.sysctl_backend import ProcSys, SysctlSettingsBackend
from conftest import FakeModule


class FakeProcSys:
    def __init__(self, values, read_only=()):
        self.values = dict(values)
        self.read_only = set(read_only)
        self.writes = []

    def read(self, key):
        if key not in self.values:
            return None, "not present on this kernel"
        return self.values[key], None

    def writable(self, key):
        if key in self.read_only:
            return False, "read-only here (/proc/sys is mounted read-only, as in a container)"
        return True, None

    def write(self, key, value):
        self.writes.append((key, value))
        self.values[key] = value
        return None


def sysctl_module(**params):
    return FakeModule("sysctl_settings", {"header": "test", **params})


def test_key_to_path_dots_and_slashes():
    assert key_to_path("net.ipv4.ip_forward", "/p") == "/p/net/ipv4/ip_forward"
    assert key_to_path("net/ipv4/conf/eth0.10/rp_filter", "/p") == "/p/net/ipv4/conf/eth0.10/rp_filter"


def test_render_and_parse_round_trip():
    text = render_file({"b.x": "1", "a.y": "2 3"}, "header line")
    assert text == "# header line\na.y = 2 3\nb.x = 1\n"
    assert parse_file(text) == {"a.y": "2 3", "b.x": "1"}


def test_validate_names_every_bad_key():
    with pytest.raises(SysctlError) as error:
        validate_settings({"good.key": 1, "bad key": 1, "empty.value": "", "nested.value": {"a": 1}})
    message = str(error.value)
    assert "'bad key' is not a sysctl key" in message
    assert "empty.value has no value" in message
    assert "nested.value has no value" in message
    assert validate_settings({"kernel.x": True, "net.y": [4096, 87380]}) == {"kernel.x": "1", "net.y": "4096 87380"}


def test_plan_runtime_sorts_into_apply_skip_unchanged():
    procsys = FakeProcSys({"a": "0", "b": "1", "c\t": "x", "ro": "0", "tabs": "4096\t87380"}, read_only={"ro"})
    to_apply, skipped, unchanged = plan_runtime({"a": "1", "b": "1", "missing": "1", "ro": "2", "tabs": "4096 87380"}, procsys)
    assert to_apply == {"a": ("0", "1")}
    assert sorted(s["key"] for s in skipped) == ["missing", "ro"]
    assert sorted(unchanged) == ["b", "tabs"]


def test_module_writes_file_sets_values_and_reports_container_skips(tmp_path):
    procsys = FakeProcSys({"net.a": "0", "kernel.b": "0"}, read_only={"kernel.b"})
    path = str(tmp_path / "sysctl.d" / "99-test.conf")
    module = sysctl_module(settings={"net.a": 1, "kernel.b": 2}, path=path)
    result = SysctlSettingsBackend(module, DifferenceTracker(), procsys=procsys).run()
    assert result["changed"] is True
    assert result["applied"] == {"net.a": "1"}
    assert [s["key"] for s in result["skipped"]] == ["kernel.b"]
    assert "read-only" in result["skipped"][0]["reason"]
    assert open(path).read() == "# test\nkernel.b = 2\nnet.a = 1\n"
    again = SysctlSettingsBackend(module, DifferenceTracker(), procsys=procsys).run()
    assert again["changed"] is False and again["applied"] == {}
    assert [s["key"] for s in again["skipped"]] == ["kernel.b"]


def test_unavailable_fail_refuses_before_writing(tmp_path):
    path = str(tmp_path / "x.conf")
    module = sysctl_module(settings={"kernel.b": 2}, path=path, unavailable="fail")
    with pytest.raises(SysctlError, match="unavailable=fail"):
        SysctlSettingsBackend(module, DifferenceTracker(), procsys=FakeProcSys({"kernel.b": "0"}, read_only={"kernel.b"})).run()
    assert not os.path.exists(path)


def test_check_mode_writes_nothing(tmp_path):
    procsys = FakeProcSys({"net.a": "0"})
    path = str(tmp_path / "x.conf")
    module = sysctl_module(settings={"net.a": 1}, path=path)
    module.check_mode = True
    result = SysctlSettingsBackend(module, DifferenceTracker(), procsys=procsys).run()
    assert result["changed"] is True and procsys.writes == [] and not os.path.exists(path)


def test_procsys_against_a_directory(tmp_path):
    (tmp_path / "net" / "ipv4").mkdir(parents=True)
    (tmp_path / "net" / "ipv4" / "ip_forward").write_text("1\n")
    procsys = ProcSys(str(tmp_path))
    assert procsys.read("net.ipv4.ip_forward") == ("1", None)
    assert procsys.read("net.ipv4.nope")[0] is None
    assert procsys.writable("net.ipv4.ip_forward") == (True, None)
    assert procsys.write("net.ipv4.ip_forward", "0") is None
    assert procsys.read("net.ipv4.ip_forward") == ("0", None)


def test_procsys_einval_names_the_key(tmp_path, monkeypatch):
    procsys = ProcSys(str(tmp_path))

    def refuse(*_args, **_kwargs):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(SysctlError, match=r"kernel refused kernel\.x = 9"):
        procsys.write("kernel.x", "9")
