from __future__ import annotations

import os
import stat

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._host.file_modes import FileModesError, classify_setuid, normalise_paths, wanted_mode
from ansible_collections.ironclad.infra.plugins.module_utils._host.file_modes_backend import FileModesBackend, SuidSgidBackend, find_setuid
from conftest import FakeModule


def modes_module(params, check_mode=False):
    return FakeModule("file_modes", params, check_mode=check_mode, bin_paths=None)


def setuid_module(params):
    return FakeModule("suid_sgid", params, bin_paths=None)


def ids(owner, group):
    return (None if owner is None else os.getuid(), None if group is None else os.getgid())


def test_at_most_only_removes_bits_and_exact_sets_them():
    assert wanted_mode(0o755, 0o700, "at_most") == 0o700
    assert wanted_mode(0o600, 0o644, "at_most") == 0o600
    assert wanted_mode(0o600, 0o644, "exact") == 0o644
    assert wanted_mode(0o640, None, "at_most") == 0o640


@pytest.mark.parametrize("paths, message", [
    ([{"path": "etc/shadow", "mode": "0640"}], "absolute path"),
    ([{"path": "/etc/shadow"}], "at least one of"),
    ([{"path": "/etc/shadow", "mode": "rw-r-----"}], "not an octal file mode"),
    ([{"path": "/etc/shadow", "mode": "0640", "policy": "loose"}], "at_most or exact"),
    ([{"path": "/a", "mode": "0600"}, {"path": "/a", "mode": "0600"}], "listed twice"),
])
def test_bad_paths_are_named(paths, message):
    with pytest.raises(FileModesError, match=message):
        normalise_paths(paths)


def test_file_modes_tightens_skips_missing_and_is_idempotent(tmp_path):
    cron = tmp_path / "cron.d"
    cron.mkdir()
    os.chmod(cron, 0o755)
    strict = tmp_path / "strict"
    strict.write_text("")
    os.chmod(strict, 0o600)
    params = {"paths": [
        {"path": str(cron), "mode": "0700", "owner": "me", "group": "us"},
        {"path": str(strict), "mode": "0644"},
        {"path": str(tmp_path / "missing"), "mode": "0600"},
    ]}
    result = FileModesBackend(modes_module(params), DifferenceTracker(), lookup_ids=ids).run()
    assert result["changed"] is True
    assert stat.S_IMODE(os.stat(cron).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(strict).st_mode) == 0o600
    assert result["missing"] == [str(tmp_path / "missing")]
    assert result["actions"] == ["%s: mode 0755 -> 0700" % cron]
    again = FileModesBackend(modes_module(params), DifferenceTracker(), lookup_ids=ids).run()
    assert again["changed"] is False


def test_file_modes_check_mode(tmp_path):
    target = tmp_path / "f"
    target.write_text("")
    os.chmod(target, 0o666)
    result = FileModesBackend(modes_module({"paths": [{"path": str(target), "mode": "0600"}]}, check_mode=True),
                              DifferenceTracker(), lookup_ids=ids).run()
    assert result["changed"] is True
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o666


def make_tree(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "var" / "lib" / "docker").mkdir(parents=True)
    for name, mode in (("bin/su", 0o4755), ("bin/chfn", 0o4755), ("bin/wall", 0o2755), ("bin/ls", 0o755),
                       ("var/lib/docker/image-su", 0o4755)):
        path = tmp_path / name
        path.write_text("")
        os.chmod(path, mode)
    os.symlink(str(tmp_path / "bin" / "su"), str(tmp_path / "bin" / "su-link"))
    return tmp_path


def test_find_setuid_skips_excluded_trees_and_symlinks(tmp_path):
    root = make_tree(tmp_path)
    found = find_setuid([str(root)], [str(root / "var" / "lib" / "docker")])
    assert [os.path.basename(p) for p, _m in found] == ["chfn", "su", "wall"]


def test_classify_with_exact_and_directory_entries(tmp_path):
    found = [("/usr/bin/su", 0o4755), ("/usr/bin/chfn", 0o4755), ("/opt/vendor/bin/x", 0o2755)]
    allowed, unexpected = classify_setuid(found, ["/usr/bin/su", "/opt/vendor/"])
    assert [a["path"] for a in allowed] == ["/usr/bin/su", "/opt/vendor/bin/x"]
    assert unexpected == [{"path": "/usr/bin/chfn", "mode": "4755", "bits": "setuid"}]


def test_setuid_strip_and_report(tmp_path):
    root = make_tree(tmp_path)
    params = {"allowed": [str(root / "bin" / "su")], "roots": [str(root)], "exclude": [str(root / "var" / "lib" / "docker")],
              "same_filesystem": True, "policy": "report", "statoverride": True}
    report = SuidSgidBackend(setuid_module(dict(params)), DifferenceTracker()).run()
    assert report["changed"] is False
    assert [u["path"] for u in report["unexpected"]] == [str(root / "bin" / "chfn"), str(root / "bin" / "wall")]
    params["policy"] = "strip"
    stripped = SuidSgidBackend(setuid_module(dict(params)), DifferenceTracker()).run()
    assert stripped["changed"] is True
    assert stat.S_IMODE(os.stat(root / "bin" / "chfn").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(root / "bin" / "wall").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(root / "bin" / "su").st_mode) == 0o4755
    assert stat.S_IMODE(os.stat(root / "var" / "lib" / "docker" / "image-su").st_mode) == 0o4755
    again = SuidSgidBackend(setuid_module(dict(params)), DifferenceTracker()).run()
    assert again["changed"] is False and again["unexpected"] == []
