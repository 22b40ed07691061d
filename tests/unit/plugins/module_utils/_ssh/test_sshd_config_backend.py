from __future__ import annotations

import glob
import os
import shutil
import stat
import subprocess

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.sshd_config import (
    HEADER,
    SshdConfigError,
    config_differences,
    effective_mismatches,
    parse_config,
    render_config,
)
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.sshd_config_backend import SshdConfigBackend
from conftest import FailJson, FakeModule

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")

SETTINGS = {
    "PasswordAuthentication": False,
    "PermitRootLogin": "no",
    "KexAlgorithms": ["sntrup761x25519-sha512@openssh.com"],
    "Port": [22, 2222],
    "AllowUsers": ["alice", "bob@10.0.0.0/8"],
    "LoginGraceTime": "1m",
    "ListenAddress": [],
    "RequiredRSASize": None,
    "AcceptEnv": ["LANG", "LC_*"],
}


# -- rendering ------------------------------------------------------------------------------------------

def test_render_is_sectioned_and_deterministic():
    text = render_config(SETTINGS, includes=["/etc/ssh/sshd_config.d/*.conf"],
                         match_blocks=[{"criteria": "User backup", "settings": {"ForceCommand": "internal-sftp"}}],
                         header_lines=["chosen for OpenSSH 9.2"])
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert lines[1] == "# chosen for OpenSSH 9.2"
    assert "Port 22" in lines and "Port 2222" in lines
    assert "KexAlgorithms sntrup761x25519-sha512@openssh.com" in lines
    assert "PasswordAuthentication no" in lines
    assert "AllowUsers alice bob@10.0.0.0/8" in lines
    assert "AcceptEnv LANG LC_*" in lines
    assert not any(line.startswith(("ListenAddress", "RequiredRSASize")) for line in lines)
    assert lines.index("Include /etc/ssh/sshd_config.d/*.conf") < lines.index("Match User backup")
    assert lines[-1] == "    ForceCommand internal-sftp"
    assert lines.index("Port 22") < lines.index("KexAlgorithms sntrup761x25519-sha512@openssh.com") < lines.index("PermitRootLogin no")
    reordered = dict(reversed(list(SETTINGS.items())))
    assert render_config(reordered) == render_config(SETTINGS)


def test_render_canonicalises_keyword_case_and_puts_unknown_keywords_last():
    text = render_config({"passwordauthentication": True, "ZzCustom": "x"})
    assert "PasswordAuthentication yes" in text
    assert text.rstrip().endswith("ZzCustom x")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"Banner": "a\nb"}, "line break"),
        ({"Banner": ""}, "empty"),
        ({"Port": 22, "port": 23}, "given twice"),
        ({"Match": "User x"}, "match_blocks"),
        ({"Bad Keyword": "x"}, "not an sshd keyword"),
    ],
)
def test_render_rejects_bad_settings(settings, message):
    with pytest.raises(SshdConfigError, match=message):
        render_config(settings)


def test_parse_and_differences():
    before = "Port 22\nPasswordAuthentication yes\nHostKey /a\nHostKey /b\nMatch User x\n  X11Forwarding yes\n"
    after = "Port 22\nPasswordAuthentication no\nHostKey /a\n"
    assert parse_config(before)["HostKey"] == ["/a", "/b"]
    assert parse_config(before)["Match User x"] == {"X11Forwarding": "yes"}
    diffs = {key: (b, a) for key, b, a in config_differences(before, after)}
    assert diffs["PasswordAuthentication"] == ("yes", "no")
    assert diffs["HostKey"] == (["/a", "/b"], "/a")
    assert diffs["Match User x.X11Forwarding"] == ("yes", None)
    assert "Port" not in diffs


def test_effective_mismatches_normalise_sshd_t_output():
    effective = {
        "passwordauthentication": ["no"], "permitrootlogin": ["without-password"], "logingracetime": ["60"],
        "kexalgorithms": ["sntrup761x25519-sha512@openssh.com"], "allowusers": ["bob@10.0.0.0/8", "alice"],
        "port": ["2222", "22"], "loglevel": ["VERBOSE"],
    }
    wanted = {"PasswordAuthentication": False, "PermitRootLogin": "prohibit-password", "LoginGraceTime": "1m",
              "KexAlgorithms": ["sntrup761x25519-sha512@openssh.com"], "AllowUsers": ["alice", "bob@10.0.0.0/8"],
              "Port": [22, 2222], "LogLevel": "verbose", "PrintMotd": False}
    assert effective_mismatches(wanted, effective) == []
    effective["allowusers"].append("mallory")
    effective["passwordauthentication"] = ["yes"]
    keys = [k for k, _w, _g in effective_mismatches(wanted, effective)]
    assert keys == ["PasswordAuthentication", "AllowUsers"]


# -- manager with a fake module and a simulated sshd -------------------------------------------------------

Failed = FailJson


def simulated_sshd_t(config_path, connection=None):
    """Roughly what sshd -T prints: first value wins, repeats accumulate, Include files appended."""
    effective = {}
    repeat = {"port", "hostkey", "allowusers", "allowgroups", "denyusers", "denygroups", "acceptenv", "subsystem"}

    def read(path):
        with open(path) as handle:
            for raw in handle:
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                keyword, _sep, value = line.partition(" ")
                keyword = keyword.lower()
                if keyword == "match":
                    return
                if keyword == "include":
                    for included in sorted(glob.glob(value)):
                        read(included)
                    continue
                if keyword in repeat:
                    effective.setdefault(keyword, []).extend(value.split() if keyword in ("allowusers", "acceptenv") else [value])
                elif keyword not in effective:
                    effective[keyword] = [value]

    read(config_path)
    for keyword, default in (("passwordauthentication", "yes"), ("permitrootlogin", "without-password"),
                             ("pubkeyauthentication", "yes"), ("kbdinteractiveauthentication", "yes"),
                             ("authorizedkeysfile", ".ssh/authorized_keys .ssh/authorized_keys2")):
        effective.setdefault(keyword, [default])
    return "".join("%s %s\n" % (k, v) for k, values in effective.items() for v in values)


class SshdModule(FakeModule):
    """sshd_config's module: ``sshd -T`` simulated from the candidate file, other commands run for real."""

    def __init__(self, params, check_mode=False, sshd_rc=0):
        super().__init__("sshd_config", params, check_mode=check_mode, diff=True, commands=self._answer,
                         bin_paths=lambda name: "/usr/sbin/sshd" if name.endswith("sshd") else shutil.which(name))
        self.sshd_rc = sshd_rc

    def _answer(self, cmd):
        if cmd[0].endswith("sshd"):
            if self.sshd_rc:
                return self.sshd_rc, "", "/tmp/x line 3: Bad configuration option: Nope"
            return 0, simulated_sshd_t(cmd[cmd.index("-f") + 1]), ""
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture()
def etc(tmp_path, monkeypatch):
    monkeypatch.setattr(SshdConfigBackend, "_ensure_privsep_dir", staticmethod(lambda path="/run/sshd": None))
    ssh = tmp_path / "ssh"
    (ssh / "sshd_config.d").mkdir(parents=True)
    (ssh / "sshd_config").write_text("Include %s/sshd_config.d/*.conf\nPasswordAuthentication yes\nX11Forwarding yes\n" % ssh)
    for key_type, bits in (("ed25519", None), ("rsa", 2048), ("ecdsa", 256)):
        cmd = ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-C", "", "-f", str(ssh / ("ssh_host_%s_key" % key_type))]
        if bits:
            cmd[4:4] = ["-b", str(bits)]
        subprocess.run(cmd, check=True)
    (ssh / "moduli").write_text("# Time Type Tests Tries Size Generator Modulus\n1 2 6 100 2047 2 AB\n1 2 6 100 3071 2 CD\n")
    return ssh


def make_params(etc, **overrides):
    params = {
        "path": str(etc / "sshd_config"),
        "mode": "0600",
        "settings": {"PasswordAuthentication": False, "PermitRootLogin": "no", "X11Forwarding": False,
                     "AuthorizedKeysFile": [str(etc / "keys_%u")]},
        "include": [str(etc / "sshd_config.d" / "*.conf")],
        "match_blocks": [],
        "header": [],
        "host_keys": [
            {"path": str(etc / "ssh_host_ed25519_key"), "type": "ed25519", "size": 3072},
            {"path": str(etc / "ssh_host_rsa_key"), "type": "rsa", "size": 3072},
        ],
        "remove_other_host_keys": True,
        "host_key_glob": str(etc / "ssh_host_*_key"),
        "moduli": {"path": str(etc / "moduli"), "min_bits": 3072},
        "banner": {"path": str(etc / "banner"), "content": "Authorised access only."},
        "validate": True,
        "sshd_path": "sshd",
        "lockout_guard": {"enabled": True, "connection": "community.docker.docker", "user": None,
                          "client_address": None, "client_algorithms": None, "force": False},
    }
    params.update(overrides)
    return params


def rsa_bits(path):
    out = subprocess.run(["ssh-keygen", "-l", "-f", path], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def test_first_run_hardens_then_second_run_changes_nothing(etc):
    old_ed25519 = (etc / "ssh_host_ed25519_key.pub").read_text()
    result = SshdConfigBackend(SshdModule(make_params(etc))).run()
    assert result["changed"] is True
    actions = " | ".join(result["actions"])
    assert "generate rsa host key" in actions and "has 2048 bits" in actions
    assert "remove host key %s" % (etc / "ssh_host_ecdsa_key") in actions
    assert "remove 1 Diffie-Hellman groups below 3072 bits" in actions
    assert rsa_bits(str(etc / "ssh_host_rsa_key")) == 3072
    assert stat.S_IMODE(os.stat(etc / "ssh_host_rsa_key").st_mode) == 0o600
    assert (etc / "ssh_host_ed25519_key.pub").read_text() == old_ed25519
    assert not (etc / "ssh_host_ecdsa_key").exists() and not (etc / "ssh_host_ecdsa_key.pub").exists()
    assert " 2047 " not in (etc / "moduli").read_text()
    assert (etc / "banner").read_text() == "Authorised access only.\n"
    config = (etc / "sshd_config").read_text()
    assert "PasswordAuthentication no" in config and "HostKey %s" % (etc / "ssh_host_rsa_key") in config
    assert "Banner %s" % (etc / "banner") in config
    assert stat.S_IMODE(os.stat(etc / "sshd_config").st_mode) == 0o600
    assert result["diff"]["before"]["sshd_config.PasswordAuthentication"] == "yes"
    assert result["diff"]["after"]["sshd_config.PasswordAuthentication"] == "no"
    assert result["lockout_guard"]["checked"] is False
    assert "does not log in through sshd" in result["lockout_guard"]["reason"]
    assert result["effective"]["passwordauthentication"] == ["no"]
    assert not [p for p in os.listdir(etc) if p.startswith(("ironclad-sshd-", ".ironclad-"))]

    again = SshdConfigBackend(SshdModule(make_params(etc))).run()
    assert again["changed"] is False and again["actions"] == []
    assert {k["action"] for k in again["host_keys"]} == {"kept"}


def test_check_mode_reports_but_changes_nothing(etc):
    before = {p: (etc / p).read_bytes() for p in os.listdir(etc) if (etc / p).is_file()}
    result = SshdConfigBackend(SshdModule(make_params(etc), check_mode=True)).run()
    assert result["changed"] is True
    after = {p: (etc / p).read_bytes() for p in os.listdir(etc) if (etc / p).is_file()}
    assert after == before
    assert not [p for p in os.listdir(etc) if p.startswith("ironclad-sshd-")]


def test_sshd_rejecting_the_candidate_changes_nothing(etc):
    before = (etc / "sshd_config").read_text()
    with pytest.raises(Failed) as excinfo:
        SshdConfigBackend(SshdModule(make_params(etc), sshd_rc=255)).run()
    assert "sshd rejected the new configuration, nothing was changed" in excinfo.value.args[0]["msg"]
    assert "Bad configuration option" in excinfo.value.args[0]["msg"]
    assert (etc / "sshd_config").read_text() == before
    assert (etc / "ssh_host_ecdsa_key").exists()
    assert rsa_bits(str(etc / "ssh_host_rsa_key")) == 2048


def test_included_file_that_widens_allow_users_is_refused(etc):
    (etc / "sshd_config.d" / "50-extra.conf").write_text("AllowUsers mallory\nPasswordAuthentication yes\n")
    params = make_params(etc)
    params["settings"]["AllowUsers"] = ["alice"]
    with pytest.raises(Failed) as excinfo:
        SshdConfigBackend(SshdModule(params)).run()
    msg = excinfo.value.args[0]["msg"]
    assert "AllowUsers is ['alice', 'mallory'], wanted ['alice']" in msg
    assert "PasswordAuthentication" not in msg  # the managed value comes first and wins


def test_lockout_guard_refuses_user_without_key_and_force_overrides(etc):
    user = os.environ.get("USER") or "root"
    guard = {"enabled": True, "connection": "ssh", "user": user, "client_address": None,
             "client_algorithms": None, "force": False}
    with pytest.raises(Failed) as excinfo:
        SshdConfigBackend(SshdModule(make_params(etc, lockout_guard=guard))).run()
    failure = excinfo.value.args[0]
    assert "would be locked out" in failure["msg"] and "ssh_hardening_force" in failure["msg"]
    assert failure["lockout_guard"]["checked"] is True
    assert "PasswordAuthentication yes" in (etc / "sshd_config").read_text()

    module = SshdModule(make_params(etc, lockout_guard=dict(guard, force=True)))
    result = SshdConfigBackend(module).run()
    assert result["changed"] is True
    assert module.warnings and "overridden" in module.warnings[0]


def test_lockout_guard_passes_with_an_authorized_key(etc):
    user = "root"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(etc / "client")], check=True)
    (etc / ("keys_%s" % user)).write_text((etc / "client.pub").read_text())
    guard = {"enabled": True, "connection": "ansible.builtin.ssh", "user": user, "client_address": None,
             "client_algorithms": None, "force": False}
    params = make_params(etc, lockout_guard=guard)
    params["settings"]["PermitRootLogin"] = "prohibit-password"
    module = SshdModule(params)
    result = SshdConfigBackend(module).run()
    assert result["changed"] is True
    assert result["lockout_guard"]["checked"] is True and result["lockout_guard"]["problems"] == []
    sshd_calls = [c for c in module.commands if c[0].endswith("sshd") and "-C" in c]
    assert sshd_calls[0][-2:] == ["-C", "user=root,host=127.0.0.1,addr=127.0.0.1"]


def test_bad_setting_fails_before_anything(etc):
    params = make_params(etc)
    params["settings"]["Banner"] = "two\nlines"
    with pytest.raises(Failed) as excinfo:
        SshdConfigBackend(SshdModule(params)).run()
    assert "line break" in excinfo.value.args[0]["msg"]
    assert (etc / "ssh_host_ecdsa_key").exists()
