from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._host.mounts import edit_fstab, parse_mountinfo
from ansible_collections.ironclad.infra.plugins.module_utils._host.mounts_backend import MountOptionsBackend
from conftest import FakeModule

MOUNTINFO = """22 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=x
23 22 0:22 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
24 23 0:23 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
25 22 0:24 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw
26 22 0:25 / /srv/my\\040data rw,relatime - ext4 /dev/sdb1 rw
"""

FSTAB = """# /etc/fstab
UUID=abc / ext4 errors=remount-ro 0 1
tmpfs /tmp tmpfs defaults,exec 0 0
"""


def test_parse_mountinfo_options_and_escapes():
    mounts = parse_mountinfo(MOUNTINFO)
    assert mounts["/dev/shm"]["options"] >= {"nodev", "nosuid", "noexec"}
    assert mounts["/tmp"]["fstype"] == "tmpfs"
    assert "/srv/my data" in mounts


def test_edit_fstab_extends_existing_line_and_drops_contradicting_option():
    text, action = edit_fstab(FSTAB, "/tmp", ["nodev", "nosuid", "noexec"])
    assert "tmpfs\t/tmp\ttmpfs\tdefaults,nodev,nosuid,noexec\t0\t0" in text
    assert action.startswith("fstab /tmp: add")
    again, action = edit_fstab(text, "/tmp", ["nodev", "nosuid", "noexec"])
    assert again == text and action is None


def test_edit_fstab_adds_a_line_only_when_asked():
    text, action = edit_fstab(FSTAB, "/dev/shm", ["nodev"], None)
    assert text == FSTAB and action is None
    text, action = edit_fstab(FSTAB, "/dev/shm", ["nodev", "noexec"], {"source": "tmpfs", "fstype": "tmpfs"})
    assert text.endswith("tmpfs\t/dev/shm\ttmpfs\tdefaults,nodev,noexec\t0\t0\n")


def run(params, files, check_mode=False):
    written = {}
    module = FakeModule("mount_options", params, check_mode=check_mode, bin_paths="/bin")
    result = MountOptionsBackend(module, DifferenceTracker(), read=files.get, write=written.__setitem__).run()
    return result, module.commands, written


def test_remounts_missing_options_skips_non_mounts_and_persists():
    files = {"/proc/self/mountinfo": MOUNTINFO, "/etc/fstab": FSTAB}
    result, commands, written = run({"mounts": [
        {"path": "/tmp", "options": ["nodev", "nosuid", "noexec"]},
        {"path": "/dev/shm", "options": ["nodev", "nosuid", "noexec"]},
        {"path": "/var/tmp", "options": ["nodev"]},
    ]}, files)
    assert commands == [["/bin/mount", "-o", "remount,nodev,nosuid,noexec", "/tmp"]]
    assert result["skipped"] == [{"path": "/var/tmp", "reason": "not a separate mount point here"}]
    assert "noexec" in written["/etc/fstab"].split("/tmp")[1].splitlines()[0]
    assert "shm" in written["/etc/fstab"]


def test_container_mode_does_not_touch_fstab_and_check_mode_runs_nothing():
    files = {"/proc/self/mountinfo": MOUNTINFO, "/etc/fstab": FSTAB}
    result, commands, written = run({"persist": False, "mounts": [{"path": "/tmp", "options": ["noexec"]}]}, files, check_mode=True)
    assert result["changed"] is True and commands == [] and written == {}
