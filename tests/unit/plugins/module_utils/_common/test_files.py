"""The collection's one file I/O helper: read if it exists, atomic replace with mode/owner, cleanup on error."""

from __future__ import annotations

import os
import stat

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common import files
from ansible_collections.ironclad.infra.plugins.module_utils._common.files import read_file, write_file, write_if_different


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_read_file_of_a_missing_file_is_none(tmp_path):
    assert read_file(str(tmp_path / "nope")) is None
    assert read_file(str(tmp_path / "nope"), encoding="utf-8") is None


def test_read_file_returns_bytes_or_text_with_the_newline_policy(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"a\r\nb\xff\n")
    assert read_file(str(path)) == b"a\r\nb\xff\n"
    assert read_file(str(path), encoding="utf-8", errors="surrogateescape") == "a\nb\udcff\n"
    assert read_file(str(path), encoding="utf-8", errors="surrogateescape", newline="") == "a\r\nb\udcff\n"
    with pytest.raises(UnicodeDecodeError):
        read_file(str(path), encoding="utf-8")


def test_read_file_raises_other_errors(tmp_path):
    with pytest.raises(IsADirectoryError):
        read_file(str(tmp_path))


def test_write_file_creates_the_file_with_its_mode_and_leaves_nothing_else(tmp_path):
    path = str(tmp_path / "app.conf")
    write_file(path, "x = 1\n", 0o640)
    assert open(path, "rb").read() == b"x = 1\n"
    assert mode_of(path) == 0o640
    assert os.listdir(tmp_path) == ["app.conf"]


def test_write_file_default_mode_is_0644_and_bytes_are_written_as_they_are(tmp_path):
    path = str(tmp_path / "blob")
    write_file(path, b"\x00\xff")
    assert open(path, "rb").read() == b"\x00\xff" and mode_of(path) == 0o644


def test_write_file_encodes_surrogates_back_to_their_bytes(tmp_path):
    path = str(tmp_path / "latin1.conf")
    write_file(path, "caf\udce9\n")
    assert open(path, "rb").read() == b"caf\xe9\n"


def test_write_file_replaces_and_sets_the_given_mode(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    os.chmod(path, 0o600)
    inode = os.stat(path).st_ino
    write_file(str(path), "new", 0o644)
    assert path.read_text() == "new" and mode_of(path) == 0o644
    assert os.stat(path).st_ino != inode  # a new file renamed over the old one, not rewritten in place


def test_keep_attributes_keeps_the_replaced_files_mode_and_owner(tmp_path):
    path = tmp_path / "fstab"
    path.write_text("old\n")
    os.chmod(path, 0o600)
    before = os.stat(path)
    write_file(str(path), "new\n", 0o644, keep_attributes=True)
    after = os.stat(path)
    assert path.read_text() == "new\n"
    assert (mode_of(path), after.st_uid, after.st_gid) == (0o600, before.st_uid, before.st_gid)
    new = tmp_path / "new"
    write_file(str(new), "x\n", 0o644, keep_attributes=True)
    assert mode_of(new) == 0o644


def test_owner_and_group_are_applied(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(files.os, "fchown", lambda fd, uid, gid: calls.append((uid, gid)))
    write_file(str(tmp_path / "a"), "x", 0o600, 123, 456)
    assert calls == [(123, 456)]
    write_file(str(tmp_path / "b"), "x", 0o600)  # -1/-1: owner left as created, no chown at all
    assert calls == [(123, 456)]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file away")
def test_owner_and_group_are_applied_for_real(tmp_path):
    path = str(tmp_path / "owned")
    write_file(path, "x", 0o640, 65534, 65534)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, mode_of(path)) == (65534, 65534, 0o640)


def test_the_data_is_synced_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync = os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    write_file(str(tmp_path / "f"), "x", move=lambda src, dest: (events.append("move"), os.replace(src, dest)))
    assert events == ["fsync", "move"]


def test_the_temporary_file_is_in_the_targets_directory(tmp_path):
    seen = []
    write_file(str(tmp_path / "f"), "x", move=lambda src, dest: (seen.append(src), os.replace(src, dest)))
    assert os.path.dirname(seen[0]) == str(tmp_path) and os.path.basename(seen[0]).startswith(".f.")


@pytest.mark.parametrize("stage", ["fchmod", "fchown", "fsync", "move"])
def test_an_error_at_any_stage_leaves_the_target_and_no_temporary_file(tmp_path, monkeypatch, stage):
    path = tmp_path / "f"
    path.write_text("old")

    def boom(*_args, **_kwargs):
        raise OSError("%s failed" % stage)

    move = os.replace
    if stage == "move":
        move = boom
    else:
        monkeypatch.setattr(files.os, stage, boom)
    with pytest.raises(OSError, match="%s failed" % stage):
        write_file(str(path), "new", 0o600, 0, 0, move=move)
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["f"]


def test_an_interrupt_also_removes_the_temporary_file(tmp_path):
    def interrupted(_src, _dest):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_file(str(tmp_path / "f"), "new", move=interrupted)
    assert os.listdir(tmp_path) == []


def test_a_missing_directory_fails_unless_make_dirs(tmp_path):
    path = tmp_path / "a" / "b" / "f"
    with pytest.raises(FileNotFoundError):
        write_file(str(path), "x")
    write_file(str(path), "x", make_dirs=True)
    assert path.read_text() == "x" and mode_of(tmp_path / "a") == 0o755


def test_write_if_different_does_not_rewrite_unchanged_content(tmp_path):
    path = tmp_path / "state.json"
    assert write_if_different(str(path), b"{}", 0o600) is True
    inode, mtime = os.stat(path).st_ino, os.stat(path).st_mtime_ns
    assert write_if_different(str(path), "{}", 0o600) is False
    assert (os.stat(path).st_ino, os.stat(path).st_mtime_ns) == (inode, mtime)
    assert write_if_different(str(path), "{1}", 0o600) is True
    assert path.read_text() == "{1}"


def test_user_and_group_ids_from_names_numbers_or_nothing():
    import grp
    import pwd

    root_user, root_group = pwd.getpwuid(0).pw_name, grp.getgrgid(0).gr_name
    assert (files.user_id(root_user), files.group_id(root_group)) == (0, 0)
    assert (files.user_id("1234"), files.group_id(4321)) == (1234, 4321)
    assert (files.user_id(None), files.group_id(None)) == (None, None)
    with pytest.raises(KeyError):
        files.user_id("no-such-user-ironclad")
    with pytest.raises(KeyError):
        files.group_id("no-such-group-ironclad")
