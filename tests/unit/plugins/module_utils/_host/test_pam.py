from __future__ import annotations

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._host.pam import PamError, parse_profile, profile_missing, set_unix_hash, unix_hash_args
from ansible_collections.ironclad.infra.plugins.module_utils._host.pam_backend import PamAuthUpdateBackend
from conftest import FakeModule

UNIX = """Name: Unix authentication
Default: yes
Priority: 256
Auth-Type: Primary
Auth:
\t[success=end default=ignore]\tpam_unix.so nullok try_first_pass
Auth-Initial:
\t[success=end default=ignore]\tpam_unix.so nullok
Password-Type: Primary
Password:
\t[success=end default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt
Password-Initial:
\t[success=end default=ignore]\tpam_unix.so obscure yescrypt
"""

FAILLOCK_NOTIFY = """Name: notify
Default: yes
Priority: 1024
Auth-Type: Primary
Auth:
\trequisite\tpam_faillock.so preauth
Account-Type: Primary
Account:
\trequired\tpam_faillock.so
"""

TMPDIR = """Name: per-user temporary directories
Default: yes
Priority: 0
Session-Type: Additional
Session-Final:
 optional pam_tmpdir.so
"""

COMMON_AUTH = """auth\trequisite\t\t\tpam_faillock.so preauth
auth\t[success=1 default=ignore]\tpam_unix.so nullok
auth\trequisite\t\t\tpam_deny.so
"""
COMMON_PASSWORD = """# comment
password\trequisite\t\t\tpam_pwquality.so retry=3
password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt
password\trequisite\t\t\tpam_deny.so
"""


def test_parse_profile_sections():
    profile = parse_profile(UNIX)
    assert profile["name"] == "Unix authentication"
    assert profile["sections"]["auth"][0][1:] == ("pam_unix.so", ["nullok", "try_first_pass"])
    assert profile["sections"]["auth-initial"][0][2] == ["nullok"]
    assert parse_profile(TMPDIR)["sections"]["session"] == [("optional", "pam_tmpdir.so", [])]


def test_profile_missing_accepts_initial_variant_and_reports_absent_lines():
    commons = {"common-auth": COMMON_AUTH, "common-password": COMMON_PASSWORD, "common-account": ""}
    assert profile_missing(parse_profile(UNIX), commons) == []
    missing = profile_missing(parse_profile(FAILLOCK_NOTIFY), commons)
    assert missing == ["common-account: pam_faillock.so"]
    missing = profile_missing(parse_profile(TMPDIR), commons)
    assert missing == ["common-session: pam_tmpdir.so", "common-session-noninteractive: pam_tmpdir.so"]


def test_unix_hash_args_and_rewrite():
    assert unix_hash_args(COMMON_PASSWORD) == ("yescrypt", None)
    text, changed = set_unix_hash(COMMON_PASSWORD, "sha512", 100000)
    assert changed
    assert "pam_unix.so obscure use_authtok try_first_pass sha512 rounds=100000\n" in text
    assert "\tpam_unix.so" in text
    assert unix_hash_args(text) == ("sha512", "100000")
    again, changed = set_unix_hash(text, "sha512", 100000)
    assert not changed and again == text
    same, changed = set_unix_hash(COMMON_PASSWORD, "yescrypt")
    assert not changed and same == COMMON_PASSWORD


def test_set_unix_hash_refuses_unknown_algorithm_and_missing_line():
    with pytest.raises(PamError, match=r"unknown password hash algorithm 'md5x'"):
        set_unix_hash(COMMON_PASSWORD, "md5x")
    with pytest.raises(PamError, match=r"no pam_unix\.so password line"):
        set_unix_hash("password required pam_permit.so\n", "yescrypt")


def make(params, check_mode=False, activate=True):
    files = {
        "/usr/share/pam-configs/ironclad-faillock-notify": FAILLOCK_NOTIFY,
        "/etc/pam.d/common-auth": COMMON_AUTH,
        "/etc/pam.d/common-password": COMMON_PASSWORD,
        "/etc/pam.d/common-account": "",
    }

    def pam_auth_update(_argv, environ_update=None):
        if activate:
            files["/etc/pam.d/common-account"] = "account\trequired\tpam_faillock.so\n"
        return 0, "", ""

    module = FakeModule("pam_auth_update", params, check_mode=check_mode, commands=pam_auth_update, bin_paths="/usr/sbin")
    return PamAuthUpdateBackend(module, DifferenceTracker(), read=files.get, write=files.__setitem__), module, files


def test_enables_only_missing_profiles_then_nothing():
    manager, module, files = make({"enable": ["ironclad-faillock-notify"]})
    result = manager.run()
    assert result["changed"] and result["enabled"] == ["ironclad-faillock-notify"]
    assert module.commands == [["/usr/sbin/pam-auth-update", "--enable", "ironclad-faillock-notify"]]
    manager2 = PamAuthUpdateBackend(module, DifferenceTracker(), read=files.get, write=files.__setitem__)
    module.commands.clear()
    again = manager2.run()
    assert not again["changed"] and module.commands == []


def test_fails_with_hint_when_pam_auth_update_leaves_files_alone():
    manager, _module, _files = make({"enable": ["ironclad-faillock-notify"], "force": False}, activate=False)
    with pytest.raises(PamError, match="re-run with force: true"):
        manager.run()


def test_missing_profile_is_named():
    manager, _module, _files = make({"enable": ["nope"]})
    with pytest.raises(PamError, match="profile nope does not exist"):
        manager.run()


def test_unix_hash_change_in_check_mode_writes_nothing():
    manager, _module, files = make({"enable": [], "unix_hash": {"algorithm": "sha512", "rounds": 65536}}, check_mode=True)
    result = manager.run()
    assert result["changed"] and files["/etc/pam.d/common-password"] == COMMON_PASSWORD
    assert "sha512 rounds=65536" in result["diff"]["after"]


def test_missing_profile_in_check_mode_is_reported_as_to_enable():
    manager, _module, _files = make({"enable": ["pwquality"]}, check_mode=True)
    result = manager.run()
    assert result["changed"] is True and result["enabled"] == ["pwquality"]
