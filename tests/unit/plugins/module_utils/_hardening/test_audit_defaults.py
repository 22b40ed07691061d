"""The audit's built-in expectations are the os_hardening role's defaults, composed by the code the role uses."""
from __future__ import annotations

import os

import yaml
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.areas import AREAS, sysctl_settings
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.audit_defaults import DEFAULTS

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "roles", "os_hardening")


def role_defaults():
    with open(os.path.join(ROLE, "defaults", "main.yml")) as handle:
        return yaml.safe_load(handle)


def test_sysctl_matches_role_composition():
    d = role_defaults()
    composed = sysctl_settings(d["os_hardening_sysctl_network"], d["os_hardening_sysctl_kernel"], d["os_hardening_ip_forwarding"],
                               d["os_hardening_ipv6_router_advertisements"], d["os_hardening_sysctl_extra"])
    assert list(DEFAULTS["sysctl"].items()) == list(composed.items())
    assert DEFAULTS["sysctl_file"] == d["os_hardening_sysctl_file"]


def test_lists_and_settings_match_role_defaults():
    d = role_defaults()
    modules = (d["os_hardening_kernel_modules_blacklist_filesystems"] + d["os_hardening_kernel_modules_blacklist_storage"]
               + d["os_hardening_kernel_modules_blacklist_protocols"] + d["os_hardening_kernel_modules_blacklist_extra"])
    assert DEFAULTS["kernel_modules"] == modules
    assert DEFAULTS["mounts"] == d["os_hardening_mounts_options"]
    assert DEFAULTS["tmp_tmpfs"] == d["os_hardening_mounts_tmp_tmpfs"]
    assert DEFAULTS["pwquality"] == d["os_hardening_pam_pwquality"]
    assert DEFAULTS["faillock"] == d["os_hardening_pam_faillock"]
    assert DEFAULTS["pam_tmpdir"] == d["os_hardening_pam_tmpdir"]
    assert DEFAULTS["umask"] == d["os_hardening_umask"]
    assert DEFAULTS["shell_timeout"] == d["os_hardening_shell_timeout"]
    compilers = [{"path": p, "owner": "root", "group": "root", "mode": "0750", "follow": True}
                 for p in d["os_hardening_file_permissions_compiler_paths"]] if d["os_hardening_file_permissions_compilers"] else []
    assert DEFAULTS["file_permissions"] == d["os_hardening_file_permissions"] + d["os_hardening_file_permissions_extra"] + compilers
    assert DEFAULTS["proc_hidepid"] == d["os_hardening_mounts_proc_hidepid"]
    assert DEFAULTS["suid_sgid_allowed"] == d["os_hardening_suid_sgid_allowed"] + d["os_hardening_suid_sgid_allowed_extra"]
    assert DEFAULTS["suid_sgid_roots"] == d["os_hardening_suid_sgid_roots"]
    assert DEFAULTS["legacy_packages"] == d["os_hardening_legacy_packages"] + d["os_hardening_legacy_packages_extra"]
    assert DEFAULTS["auditd_immutable"] == d["os_hardening_auditd_immutable"]
    assert DEFAULTS["updates_tools"] == d["os_hardening_updates_tools"]
    assert DEFAULTS["banner_text"] == d["os_hardening_banner_text"]
    assert DEFAULTS["banner_motd"] == d["os_hardening_banner_motd"]
    assert DEFAULTS["cron_allow"] == d["os_hardening_cron_allow"]
    assert DEFAULTS["at_allow"] == d["os_hardening_at_allow"]
    assert DEFAULTS["password_hash_algorithm"] == d["os_hardening_password_hash_algorithm"]


def test_login_defs_match_role_composition():
    d = role_defaults()
    assert DEFAULTS["login_defs"] == {
        "PASS_MAX_DAYS": d["os_hardening_password_max_days"],
        "PASS_MIN_DAYS": d["os_hardening_password_min_days"],
        "PASS_WARN_AGE": d["os_hardening_password_warn_age"],
        "LOGIN_RETRIES": d["os_hardening_login_retries"],
        "LOGIN_TIMEOUT": d["os_hardening_login_timeout"],
        "ENCRYPT_METHOD": d["os_hardening_password_hash_algorithm"].upper(),
        "YESCRYPT_COST_FACTOR": d["os_hardening_password_yescrypt_cost"],
        "SHA_CRYPT_MIN_ROUNDS": d["os_hardening_password_sha_rounds"],
        "SHA_CRYPT_MAX_ROUNDS": d["os_hardening_password_sha_rounds"],
        "FAILLOG_ENAB": "yes",
        "LOG_OK_LOGINS": "yes",
        "SYSLOG_SU_ENAB": "yes",
        "SYSLOG_SG_ENAB": "yes",
    }


def test_every_role_area_has_a_switch_and_an_audit_area():
    d = role_defaults()
    switches = {k[len("os_hardening_"):-len("_enabled")] for k in d if k.endswith("_enabled")}
    assert switches == set(AREAS) - {"ssh"}
    for area in AREAS:
        if area != "ssh":
            assert DEFAULTS["areas"][area] == d["os_hardening_%s_enabled" % area]
