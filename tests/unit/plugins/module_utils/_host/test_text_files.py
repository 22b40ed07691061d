from __future__ import annotations

import os

from ansible_collections.ironclad.infra.plugins.module_utils._host.text_files import read_text, replace_text


def test_read_text_of_a_missing_file_is_none(tmp_path):
    assert read_text(str(tmp_path / "nope")) is None


def test_replace_keeps_mode_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "fstab"
    path.write_text("old\n")
    os.chmod(path, 0o600)
    replace_text(str(path), "new\n")
    assert read_text(str(path)) == "new\n"
    assert os.stat(path).st_mode & 0o7777 == 0o600
    assert os.listdir(tmp_path) == ["fstab"]


def test_a_new_file_gets_mode_0644(tmp_path):
    path = tmp_path / "new.conf"
    replace_text(str(path), "x\n")
    assert read_text(str(path)) == "x\n" and os.stat(path).st_mode & 0o7777 == 0o644
