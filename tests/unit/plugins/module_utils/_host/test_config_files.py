from __future__ import annotations

import os
import stat
import subprocess

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._host.config_files import MARKER, ConfigFilesError, edit_settings, normalise_entry, plan_file
from ansible_collections.ironclad.infra.plugins.module_utils._host.config_files_backend import ConfigFilesBackend, probe_command, unchanged_result
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import CONFIG_FILES_ARGUMENT_SPEC
from conftest import FakeModule

LOGIN_DEFS = """# login.defs
MAIL_DIR        /var/mail
PASS_MAX_DAYS\t99999
PASS_MIN_DAYS\t0
#UMASK 077
UMASK\t\t022
UMASK 002
"""


def config_module(files, check_mode=False):
    return FakeModule("config_files", {"files": files}, check_mode=check_mode)


def test_edit_settings_replaces_first_key_keeps_comments_and_drops_duplicates():
    text, actions = edit_settings(LOGIN_DEFS, {"PASS_MAX_DAYS": 365, "UMASK": "027"})
    assert "PASS_MAX_DAYS 365" in text
    assert "#UMASK 077" in text
    assert text.count("\nUMASK") == 1 and "UMASK 027" in text
    assert "MAIL_DIR        /var/mail" in text
    assert "set PASS_MAX_DAYS to 365 (was 99999)" in actions
    assert "remove duplicate UMASK" in actions


def test_edit_settings_appends_missing_keys_once_after_marker():
    text, _actions = edit_settings("A 1\n", {"B": "2", "C": True})
    assert text == "A 1\n\n%s\nB 2\nC yes\n" % MARKER
    again, again_actions = edit_settings(text, {"B": "2", "C": True})
    assert again == text and again_actions == []


def test_edit_settings_equal_values_with_other_whitespace_are_no_change():
    text, actions = edit_settings("PASS_MIN_DAYS\t\t1\n", {"PASS_MIN_DAYS": 1})
    assert actions == [] and text == "PASS_MIN_DAYS\t\t1\n"


def test_edit_settings_with_equals_separator_and_removal():
    text, actions = edit_settings("max_log_file = 8\nnum_logs=5\n", {"max_log_file": 50, "num_logs": None}, " = ")
    assert text == "max_log_file = 50\n"
    assert "remove num_logs" in actions


@pytest.mark.parametrize("entry, message", [
    ({"path": "relative"}, "absolute path"),
    ({"path": "/etc/x"}, "exactly one of"),
    ({"path": "/etc/x", "content": "a", "settings": {"a": 1}}, "exactly one of"),
    ({"path": "/etc/x", "content": "a", "mode": "rw"}, "not an octal file mode"),
    ({"path": "/etc/x", "settings": "a=1"}, "must be a dictionary"),
])
def test_bad_entries_name_the_problem(entry, message):
    with pytest.raises(ConfigFilesError, match=message):
        normalise_entry(entry, 0)


def test_plan_file_content_and_absent():
    entry = normalise_entry({"path": "/etc/x", "content": "new\n"}, 0)
    assert plan_file(entry, None) == ("new\n", ["create file"])
    assert plan_file(entry, "new\n") == ("new\n", [])
    gone = normalise_entry({"path": "/etc/x", "state": "absent"}, 0)
    assert plan_file(gone, "x") == (None, ["remove file"])
    assert plan_file(gone, None) == (None, [])


def test_run_writes_edits_removes_and_is_idempotent(tmp_path):
    defs = tmp_path / "login.defs"
    defs.write_text(LOGIN_DEFS)
    deny = tmp_path / "cron.deny"
    deny.write_text("nobody\n")
    files = [
        {"path": str(defs), "settings": {"UMASK": "027"}},
        {"path": str(tmp_path / "sub" / "new.conf"), "content": "x = 1\n", "mode": "0600"},
        {"path": str(deny), "state": "absent"},
    ]
    result = ConfigFilesBackend(config_module(files), DifferenceTracker()).run()
    assert result["changed"] is True
    assert "UMASK 027" in defs.read_text()
    new = tmp_path / "sub" / "new.conf"
    assert new.read_text() == "x = 1\n" and stat.S_IMODE(os.stat(new).st_mode) == 0o600
    assert not deny.exists()
    assert len(result["diff"]) == 3
    again = ConfigFilesBackend(config_module(files), DifferenceTracker()).run()
    assert again["changed"] is False and again["actions"] == []


def test_check_mode_changes_nothing(tmp_path):
    target = tmp_path / "f"
    target.write_text("old\n")
    result = ConfigFilesBackend(config_module([{"path": str(target), "content": "new\n"}], check_mode=True), DifferenceTracker()).run()
    assert result["changed"] is True
    assert target.read_text() == "old\n"


def test_mode_only_change_is_reported_and_applied(tmp_path):
    target = tmp_path / "f"
    target.write_text("same\n")
    os.chmod(target, 0o644)
    result = ConfigFilesBackend(config_module([{"path": str(target), "content": "same\n", "mode": "0600"}]), DifferenceTracker()).run()
    assert result["changed"] is True
    assert result["files"][0]["actions"] == ["mode 0644 -> 0600"]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_unknown_owner_fails_before_any_file_is_written(tmp_path):
    first = tmp_path / "first"
    files = [
        {"path": str(first), "content": "x\n"},
        {"path": str(tmp_path / "second"), "content": "y\n", "owner": "no-such-user-ironclad"},
    ]
    with pytest.raises(ConfigFilesError, match="owner 'no-such-user-ironclad' does not exist"):
        ConfigFilesBackend(config_module(files), DifferenceTracker()).run()
    assert not first.exists()


def test_duplicate_paths_are_refused(tmp_path):
    path = str(tmp_path / "x")
    with pytest.raises(ConfigFilesError, match="each path may appear once"):
        ConfigFilesBackend(config_module([{"path": path, "content": "a"}, {"path": path, "content": "b"}]), DifferenceTracker()).run()


# --- shortcut of the action plugin: the module's plan over files read by one shell probe ------------

def _normalised(files):
    result = ArgumentSpecValidator(CONFIG_FILES_ARGUMENT_SPEC).validate({"files": files})
    assert not result.error_messages
    return result.validated_parameters


def _probe(params):
    return subprocess.run(["sh", "-c", probe_command(params)], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def converged_tree(tmp_path):
    """Files as the module leaves them: whole content, a settings edit, an unless_found that holds."""
    (tmp_path / "whole.conf").write_text("a = 1\n\u00e9t\u00e9\n")
    os.chmod(tmp_path / "whole.conf", 0o640)
    (tmp_path / "login.defs").write_text("PASS_MAX_DAYS 365\n")
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "debian.list").write_text("deb http://deb.debian.org/debian-security bookworm-security main\n")
    (tmp_path / "sources" / ".hidden").write_text("")
    owner = str(os.getuid())
    return [
        {"path": str(tmp_path / "whole.conf"), "content": "a = 1\n\u00e9t\u00e9\n", "mode": "0640", "owner": owner},
        {"path": str(tmp_path / "login.defs"), "settings": {"PASS_MAX_DAYS": 365}},
        {"path": str(tmp_path / "security.list"), "content": "deb security\n",
         "unless_found": {"paths": [str(tmp_path / "sources")], "regexp": "^[^#]*debian-security"}},
        {"path": str(tmp_path / "gone.conf"), "state": "absent"},
    ]


def test_shortcut_answers_like_the_module_on_a_converged_tree(converged_tree):
    params = _normalised(converged_tree)
    result = unchanged_result(params, _probe(params))
    module = ConfigFilesBackend(config_module(converged_tree), DifferenceTracker()).run()  # normalised the same way
    assert module["changed"] is False
    assert result == module


@pytest.mark.parametrize("drift", ["content", "mode", "settings", "unless_found", "absent", "owner"])
def test_any_drift_sends_the_run_to_the_module(converged_tree, tmp_path, drift):
    files = converged_tree
    if drift == "content":
        (tmp_path / "whole.conf").write_text("a = 2\n")
    elif drift == "mode":
        os.chmod(tmp_path / "whole.conf", 0o644)
    elif drift == "settings":
        (tmp_path / "login.defs").write_text("PASS_MAX_DAYS 99999\n")
    elif drift == "unless_found":
        (tmp_path / "sources" / "debian.list").unlink()
    elif drift == "absent":
        (tmp_path / "gone.conf").write_text("x\n")
    elif drift == "owner":
        files[0]["owner"] = str(os.getuid() + 1)
    params = _normalised(files)
    assert unchanged_result(params, _probe(params)) is None


def test_an_unknown_owner_name_or_garbage_leaves_the_decision_to_the_module(converged_tree):
    converged_tree[0]["owner"] = "no-such-user-here"
    params = _normalised(converged_tree)
    assert unchanged_result(params, _probe(params)) is None
    assert unchanged_result(_normalised(converged_tree[1:]), "garbage\n@@ironclad-config-files@@ F !!\n") is None
