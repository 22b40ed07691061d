from __future__ import annotations

import json
import os
import shutil
import stat

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._docker.backend import DaemonConfigBackend, DaemonConfigError
from conftest import FakeModule

GOOD = {"live-restore": True, "icc": False, "log-opts": {"max-size": "10m", "max-file": "3"}}

HELP_WITH_VALIDATE = "Usage: dockerd [OPTIONS]\n      --validate   Validate daemon configuration and exit\n"
HELP_WITHOUT_VALIDATE = "Usage: dockerd [OPTIONS]\n      --tlsverify   Use TLS and verify the remote\n"


class DockerModule(FakeModule):
    """docker_daemon_config's module with a scripted dockerd and AnsibleModule's file-attribute helpers."""

    def __init__(self, tmp_path, params, check_mode=False, dockerd=None, version="Docker version 26.1.5+dfsg1",
                 help_text=HELP_WITH_VALIDATE, validate_rc=0, validate_err=""):
        tmpdir = str(tmp_path / "tmp")
        os.makedirs(tmpdir, exist_ok=True)
        params = dict({"path": str(tmp_path / "etc" / "daemon.json"), "config": GOOD}, **params)
        super().__init__("docker_daemon_config", params, check_mode=check_mode, tmpdir=tmpdir, commands=self._dockerd,
                         bin_paths=lambda _name: self.dockerd)
        self.dockerd = dockerd
        self.version = version
        self.help_text = help_text
        self.validate_rc = validate_rc
        self.validate_err = validate_err
        self.validated_text = None
        self.mode_changed = False

    def _dockerd(self, args):
        if args[1] == "--version":
            return 0, self.version, ""
        if args[1] == "--help":
            return 0, self.help_text, ""
        if args[1] == "--validate":
            with open(args[3]) as handle:
                self.validated_text = handle.read()
            return self.validate_rc, "" if self.validate_rc else "configuration OK", self.validate_err % args[3] \
                if "%s" in self.validate_err else self.validate_err
        raise AssertionError(args)

    def atomic_move(self, src, dest):
        shutil.move(src, dest)

    def backup_local(self, path):
        backup = path + ".bak"
        shutil.copy(path, backup)
        return backup

    def load_file_common_arguments(self, params, path=None):
        return {"path": path, "mode": params["mode"]}

    def set_fs_attributes_if_different(self, file_args, changed):
        if file_args["mode"] is None:
            return changed
        wanted = int(file_args["mode"], 8)
        if stat.S_IMODE(os.stat(file_args["path"]).st_mode) != wanted:
            if not self.check_mode:
                os.chmod(file_args["path"], wanted)
            self.mode_changed = True
            return True
        return changed

    def warn(self, message):
        self.warnings.append(message)


@pytest.fixture
def etc(tmp_path):
    os.makedirs(tmp_path / "etc")
    return tmp_path / "etc"


def write(etc, document):
    (etc / "daemon.json").write_text(json.dumps(document))


def test_creates_the_file_and_validates_with_dockerd(tmp_path, etc):
    module = DockerModule(tmp_path, {}, dockerd="/usr/sbin/dockerd")
    result = DaemonConfigBackend(module).run()
    assert result["changed"] is True
    assert json.loads((etc / "daemon.json").read_text()) == GOOD
    assert result["validation"] == {"schema": "ok", "dockerd": "ok (dockerd 26.1.5)"}
    assert json.loads(module.validated_text) == GOOD
    assert "create" in result["actions"][0]
    assert result["dockerd_version"] == "26.1.5"
    assert os.listdir(module.tmpdir) == []


def test_converged_file_is_no_change_even_if_formatted_differently(tmp_path, etc):
    (etc / "daemon.json").write_text(json.dumps(GOOD, indent=8))
    before = (etc / "daemon.json").read_text()
    result = DaemonConfigBackend(DockerModule(tmp_path, {})).run()
    assert result["changed"] is False
    assert result["actions"] == []
    assert (etc / "daemon.json").read_text() == before


def test_check_mode_reports_but_does_not_write(tmp_path, etc):
    write(etc, {"live-restore": False})
    result = DaemonConfigBackend(DockerModule(tmp_path, {}, check_mode=True)).run()
    assert result["changed"] is True
    assert json.loads((etc / "daemon.json").read_text()) == {"live-restore": False}
    assert result["diff"]["before"]["live-restore"] is False
    assert result["diff"]["after"]["live-restore"] is True


def test_invalid_config_is_refused_and_the_file_is_untouched(tmp_path, etc):
    write(etc, GOOD)
    before = (etc / "daemon.json").read_text()
    module = DockerModule(tmp_path, {"config": {"log-opts": {"max-size": "10 parsecs"}}}, dockerd="/usr/sbin/dockerd")
    with pytest.raises(DaemonConfigError) as error:
        DaemonConfigBackend(module).run()
    assert "refused before anything was written" in str(error.value)
    assert "log-opts.max-size" in str(error.value)
    assert (etc / "daemon.json").read_text() == before
    assert not any(cmd[1] == "--validate" for cmd in module.commands)


def test_unknown_key_refused_by_default(tmp_path, etc):
    with pytest.raises(DaemonConfigError) as error:
        DaemonConfigBackend(DockerModule(tmp_path, {"config": {"live-restor": True}})).run()
    assert "did you mean live-restore" in str(error.value)
    assert not (etc / "daemon.json").exists()


def test_unknown_key_warned_when_allowed_and_checked_by_dockerd(tmp_path, etc):
    module = DockerModule(tmp_path, {"config": {"future-option": True}, "unknown_keys": "warn"},
                          dockerd="/usr/sbin/dockerd", validate_rc=1,
                          validate_err="unable to configure the Docker daemon with file %s: the following "
                                       "directives don't match any configuration option: future-option")
    with pytest.raises(DaemonConfigError) as error:
        DaemonConfigBackend(module).run()
    assert module.warnings and "future-option" in module.warnings[0]
    message = str(error.value)
    assert "refused by dockerd --validate" in message
    assert module.params["path"] in message and module.tmpdir not in message
    assert not (etc / "daemon.json").exists()


def test_old_dockerd_without_validate_relies_on_the_schema(tmp_path, etc):
    module = DockerModule(tmp_path, {}, dockerd="/usr/sbin/dockerd", version="Docker version 20.10.24+dfsg1, build 5d6db84",
                          help_text=HELP_WITHOUT_VALIDATE)
    result = DaemonConfigBackend(module).run()
    assert result["validation"]["dockerd"] == "skipped (dockerd 20.10.24 has no --validate (Docker 23+ has it))"
    assert result["changed"] is True


def test_old_dockerd_refuses_options_it_does_not_know(tmp_path, etc):
    module = DockerModule(tmp_path, {"config": {"default-network-opts": {}}}, dockerd="/usr/sbin/dockerd",
                          version="Docker version 20.10.24+dfsg1", help_text=HELP_WITHOUT_VALIDATE)
    with pytest.raises(DaemonConfigError) as error:
        DaemonConfigBackend(module).run()
    assert "needs Docker 24.0 or later" in str(error.value)


def test_dockerd_validate_always_fails_without_dockerd(tmp_path, etc):
    with pytest.raises(DaemonConfigError) as error:
        DaemonConfigBackend(DockerModule(tmp_path, {"dockerd_validate": "always"})).run()
    assert "dockerd is not installed" in str(error.value)


def test_dockerd_validate_never_skips(tmp_path, etc):
    module = DockerModule(tmp_path, {"dockerd_validate": "never"}, dockerd="/usr/sbin/dockerd")
    result = DaemonConfigBackend(module).run()
    assert result["validation"]["dockerd"] == "skipped (dockerd_validate=never)"
    assert not any(cmd[1] == "--validate" for cmd in module.commands)


def test_unreadable_current_file_is_replaced(tmp_path, etc):
    (etc / "daemon.json").write_text("{broken")
    result = DaemonConfigBackend(DockerModule(tmp_path, {})).run()
    assert result["changed"] is True
    assert "current file is not valid JSON" in result["actions"][0]
    assert json.loads((etc / "daemon.json").read_text()) == GOOD


def test_backup_on_change(tmp_path, etc):
    write(etc, {"debug": True})
    result = DaemonConfigBackend(DockerModule(tmp_path, {"backup": True})).run()
    assert json.loads(open(result["backup_file"]).read()) == {"debug": True}


def test_mode_change_alone_is_a_change(tmp_path, etc):
    write(etc, GOOD)
    os.chmod(etc / "daemon.json", 0o600)
    module = DockerModule(tmp_path, {"mode": "0644"})
    result = DaemonConfigBackend(module).run()
    assert result["changed"] is True
    assert result["actions"] == ["set owner/group/mode of %s" % module.params["path"]]
    assert stat.S_IMODE(os.stat(etc / "daemon.json").st_mode) == 0o644


def test_missing_directory_is_explained(tmp_path):
    module = DockerModule(tmp_path, {"path": str(tmp_path / "nowhere" / "daemon.json")})
    with pytest.raises(DaemonConfigError) as error:
        DaemonConfigBackend(module).run()
    assert "does not exist" in str(error.value)


def test_dockerd_path_that_does_not_exist_means_no_dockerd(tmp_path, etc):
    module = DockerModule(tmp_path, {"dockerd_path": str(tmp_path / "no-dockerd")})
    result = DaemonConfigBackend(module).run()
    assert result["validation"]["dockerd"] == "skipped (dockerd is not installed)"
    assert module.commands == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, etc):
    write(etc, {"live-restore": False})
    before = (etc / "daemon.json").read_text()
    module = DockerModule(tmp_path, {})

    def full_disk(_src, _dest):
        raise OSError(28, "No space left on device")

    module.atomic_move = full_disk
    with pytest.raises(OSError, match="No space left"):
        DaemonConfigBackend(module).run()
    assert os.listdir(etc) == ["daemon.json"] and (etc / "daemon.json").read_text() == before
