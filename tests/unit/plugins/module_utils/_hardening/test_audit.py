from __future__ import annotations

import copy
import os
import stat

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._hardening import backend as audit_backend
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.audit import Auditor
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.audit_defaults import DEFAULTS
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.backend import AuditBackend
from ansible_collections.ironclad.infra.plugins.module_utils._hardening.controls import installed_packages

PWQUALITY_PROFILE = "Name: Pwquality\nPassword-Type: Primary\nPassword:\n\trequisite\tpam_pwquality.so retry=3\n"
FAILLOCK = "Name: f\nAuth-Type: Primary\nAuth:\n\t[default=die]\tpam_faillock.so authfail\n"
FAILLOCK_NOTIFY = ("Name: n\nAuth-Type: Primary\nAuth:\n\trequisite\tpam_faillock.so preauth\n"
                   "Account-Type: Primary\nAccount:\n\trequired\tpam_faillock.so\n")
TMPDIR = "Name: t\nSession-Type: Additional\nSession-Final:\n optional pam_tmpdir.so\n"


class Stat:
    def __init__(self, mode, uid=0, gid=0):
        self.st_mode = mode
        self.st_uid = uid
        self.st_gid = gid


class FakeHost:
    """A host described by dictionaries: files, modes, command outputs."""

    def __init__(self):
        self.files = {}
        self.modes = {}
        self.commands = {}
        self.binaries = set()
        self.read_only = set()
        self.setuid = []
        self.users = {0: "root"}
        self.groups = {0: "root", 42: "shadow"}

    def read(self, path):
        return self.files.get(path)

    def lstat(self, path):
        if path in self.modes:
            return self.modes[path]
        if path in self.files:
            return Stat(stat.S_IFREG | 0o644)
        return None

    def listdir(self, path):
        prefix = path.rstrip("/") + "/"
        return sorted({p[len(prefix):].split("/")[0] for p in self.files if p.startswith(prefix)})

    def run(self, argv):
        key = " ".join([os.path.basename(argv[0]), *list(argv[1:])])
        for prefix, answer in self.commands.items():
            if key.startswith(prefix):
                return answer
        return 1, "", "unknown command %s" % key

    def which(self, name):
        return "/usr/bin/" + name if name in self.binaries else None

    def writable(self, path):
        return path not in self.read_only

    def realpath(self, path):
        return path

    def find_setuid(self, roots, excludes):
        return list(self.setuid)

    def user_name(self, uid):
        return self.users.get(uid, str(uid))

    def group_name(self, gid):
        return self.groups.get(gid, str(gid))


def units(**states):
    blocks = []
    for unit, (active, enabled) in states.items():
        blocks.append("Id=%s\nActiveState=%s\nUnitFileState=%s" % (unit, active, enabled))
    return "\n\n".join(blocks) + "\n"


def hardened_host():
    d = DEFAULTS
    host = FakeHost()
    host.binaries |= {"systemctl", "aide", "auditctl", "apt-config", "fail2ban-client"}
    f = host.files
    f["/etc/sysctl.d/99-zz-ironclad-hardening.conf"] = "".join("%s = %s\n" % kv for kv in d["sysctl"].items())
    for key, value in d["sysctl"].items():
        f["/proc/sys/" + key.replace(".", "/")] = "%s\n" % value
    f["/etc/modprobe.d/ironclad-hardening.conf"] = "".join("install %s /bin/false\n" % m for m in d["kernel_modules"])
    f["/proc/modules"] = "ext4 1 0 - Live 0x0\n"
    f["/proc/self/mountinfo"] = (
        "1 0 0:1 / /tmp rw,nosuid,nodev,noexec - tmpfs tmpfs rw\n"
        "2 0 0:2 / /dev/shm rw,nosuid,nodev,noexec - tmpfs tmpfs rw\n"
        "3 0 0:3 / /dev rw,nosuid,noexec - tmpfs tmpfs rw\n"
    )
    login_defs = dict(d["login_defs"], UMASK="027")
    f["/etc/login.defs"] = "".join("%s %s\n" % kv for kv in login_defs.items())
    f["/etc/pam.d/common-password"] = ("password\trequisite\tpam_pwquality.so retry=3\n"
                                       "password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n")
    f["/etc/pam.d/common-auth"] = ("auth\trequisite\tpam_faillock.so preauth\nauth\t[success=2 default=ignore]\tpam_unix.so nullok\n"
                                   "auth\t[default=die]\tpam_faillock.so authfail\n")
    f["/etc/pam.d/common-account"] = "account\trequired\tpam_faillock.so\n"
    f["/etc/pam.d/common-session"] = "session\toptional\tpam_tmpdir.so\n"
    f["/etc/pam.d/common-session-noninteractive"] = "session\toptional\tpam_tmpdir.so\n"
    f["/usr/share/pam-configs/pwquality"] = PWQUALITY_PROFILE
    f["/usr/share/pam-configs/ironclad-faillock"] = FAILLOCK
    f["/usr/share/pam-configs/ironclad-faillock-notify"] = FAILLOCK_NOTIFY
    f["/usr/share/pam-configs/tmpdir"] = TMPDIR

    def conf(values):
        return "".join(("%s\n" % k if v is True else "%s = %s\n" % (k, v)) for k, v in values.items() if v is not False)

    f["/etc/security/pwquality.conf"] = conf(d["pwquality"])
    f["/etc/security/faillock.conf"] = conf(d["faillock"])
    f["/etc/security/limits.d/10-ironclad-core-dumps.conf"] = "*    hard    core    0\n"
    f["/etc/systemd/coredump.conf.d/10-ironclad.conf"] = "[Coredump]\nStorage=none\nProcessSizeMax=0\n"
    f["/etc/profile.d/ironclad-shell.sh"] = "umask 027\nif [ -z \"${TMOUT:-}\" ]; then\n  TMOUT=900\n  readonly TMOUT\n  export TMOUT\nfi\n"
    host.modes["/etc/shadow"] = Stat(stat.S_IFREG | 0o640, 0, 42)
    host.modes["/etc/cron.d"] = Stat(stat.S_IFDIR | 0o700)
    host.setuid = [("/usr/bin/su", 0o4755), ("/usr/bin/passwd", 0o4755)]
    f["/var/lib/dpkg/status"] = "".join(
        "Package: %s\nStatus: install ok installed\n\n" % p
        for p in ["aide", "unattended-upgrades", "chkrootkit", "fail2ban"] + d["updates_tools"])
    f["/etc/aide/aide.conf"] = "database_in=file:/var/lib/aide/aide.db\nChecksums = sha512\n"
    f["/var/lib/aide/aide.db"] = "db"
    f["/var/log/account/pacct"] = ""
    f["/etc/default/debsums"] = "CRON_CHECK=weekly\n"
    f["/proc/self/mountinfo"] += "4 0 0:4 / /proc rw,nosuid - proc proc rw,gid=997,hidepid=invisible\n"
    f["/etc/apt/sources.list"] = "deb http://deb.debian.org/debian bookworm main\n"
    f["/etc/apt/sources.list.d/ironclad-debian-security.list"] = "deb http://deb.debian.org/debian-security bookworm-security main\n"
    for path in ("/etc/issue", "/etc/issue.net", "/etc/motd"):
        f[path] = d["banner_text"]
    f["/etc/cron.allow"] = "root\n"
    f["/etc/at.allow"] = "root\n"
    host.modes["/etc/cron.allow"] = Stat(stat.S_IFREG | 0o600)
    host.modes["/etc/at.allow"] = Stat(stat.S_IFREG | 0o600)
    f["/etc/audit/rules.d/50-ironclad-hardening.rules"] = "-w /etc/passwd -p wa -k identity\n-w /etc/sudoers -p wa -k scope\n"
    host.commands = {
        "systemctl show": (0, "", ""),
        "auditctl -l": (0, "-w /etc/passwd -p wa -k identity\n-w /etc/sudoers -p wa -k scope\n", ""),
        "auditctl -s": (0, "enabled 2\nfailure 1\n", ""),
        "apt-config dump": (0, 'APT::Periodic::Unattended-Upgrade "1";\n', ""),
        "fail2ban-client status sshd": (0, "Status for the jail: sshd\n", ""),
    }
    return host


def with_units(host, **states):
    default = {u: ("active", "enabled") for u in (
        "auditd.service", "ironclad-aide-init.service", "ironclad-aide-check.timer", "apt-daily-upgrade.timer",
        "chkrootkit.timer", "acct.service", "chrony.service", "systemd-timesyncd.service", "fail2ban.service",
        "rsyslog.service")}
    default.update(states)
    original = host.run

    def run(argv):
        if os.path.basename(argv[0]) == "systemctl" and argv[1] == "show":
            names = argv[argv.index("--") + 1:]
            return 0, units(**{n: default.get(n, ("inactive", "disabled")) for n in names}), ""
        return original(argv)

    host.run = run
    return host


def audit(host, **params):
    params.setdefault("container", "false")
    params.setdefault("areas", {"ssh": False})
    return Auditor(host, params).run()


def by_id(result):
    return {c["id"]: c for c in result["controls"]}


def test_installed_packages_reads_dpkg_status():
    text = "Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: deinstall ok config-files\n\n"
    assert installed_packages(text) == {"a"}


def test_hardened_host_passes_everything():
    result = audit(with_units(hardened_host()))
    failing = [(c["id"], c["reason"]) for c in result["controls"] if c["status"] == "fail"]
    assert failing == []
    assert result["score"] == 100.0
    controls = by_id(result)
    assert controls["os.mounts.var.tmp"]["status"] == "not_applicable"
    assert controls["os.remote_syslog"]["status"] == "not_applicable"
    assert controls["ssh.ssh"]["reason"] == "SSH evaluation disabled"
    assert result["summary"]["fail"] == 0


def test_container_makes_host_controls_not_applicable_with_reasons():
    host = with_units(hardened_host())
    host.files["/proc/sys/kernel/kptr_restrict"] = "0\n"
    host.read_only.add("/proc/sys/kernel/kptr_restrict")
    host.files["/run/systemd/container"] = "docker\n"
    controls = by_id(audit(host, container="auto"))
    for control_id in ("os.auditd", "os.auditd.rules", "os.kernel_modules", "os.accounting", "os.time_sync"):
        assert controls[control_id]["status"] == "not_applicable"
        assert controls[control_id]["reason"].startswith("docker container:")
    assert controls["os.sysctl.runtime"]["status"] == "not_applicable"
    assert "kernel.kptr_restrict = 0 (wanted 2)" in controls["os.sysctl.runtime"]["reason"]
    assert controls["os.sysctl.persistent"]["status"] == "pass"


def test_a_writable_wrong_sysctl_fails_on_a_vm():
    host = with_units(hardened_host())
    host.files["/proc/sys/net/ipv4/ip_forward"] = "1\n"
    controls = by_id(audit(host))
    assert controls["os.sysctl.runtime"]["status"] == "fail"
    assert "net.ipv4.ip_forward = 1 (wanted 0)" in controls["os.sysctl.runtime"]["reason"]


def test_drift_is_reported_per_control():
    host = with_units(hardened_host(), **{"fail2ban.service": ("inactive", "enabled")})
    host.files["/etc/login.defs"] = host.files["/etc/login.defs"].replace("PASS_MAX_DAYS 365", "PASS_MAX_DAYS 99999")
    host.files["/etc/pam.d/common-account"] = ""
    host.files["/var/lib/dpkg/status"] += "Package: telnet\nStatus: install ok installed\n\n"
    host.setuid.append(("/usr/local/bin/rogue", 0o4755))
    host.modes["/etc/cron.d"] = Stat(stat.S_IFDIR | 0o755)
    host.files["/etc/cron.deny"] = "x\n"
    host.files["/etc/issue.net"] = "Debian GNU/Linux \\r \\m\n"
    result = audit(host)
    controls = by_id(result)
    assert "PASS_MAX_DAYS = 99999 (wanted 365)" in controls["os.login_defs"]["reason"]
    assert controls["os.pam.faillock"]["reason"] == "common-account: pam_faillock.so"
    assert controls["os.legacy_packages"]["reason"] == "installed: telnet"
    assert "/usr/local/bin/rogue" in controls["os.suid_sgid"]["reason"]
    assert "/etc/cron.d mode 0755 (at most 0700)" in controls["os.file_permissions"]["reason"]
    assert "/etc/cron.deny exists" in controls["os.cron_allow"]["reason"]
    assert "reveals system details" in controls["os.banners"]["reason"]
    assert controls["os.fail2ban"]["status"] == "fail"
    expected_failures = {"os.login_defs", "os.pam.faillock", "os.legacy_packages", "os.suid_sgid",
                         "os.file_permissions", "os.cron_allow", "os.banners", "os.fail2ban"}
    assert set(result["failed_controls"]) >= expected_failures
    assert 0 < result["score"] < 100


def test_pending_aide_database_is_not_a_failure():
    host = with_units(hardened_host(), **{"ironclad-aide-init.service": ("activating", "enabled")})
    del host.files["/var/lib/aide/aide.db"]
    controls = by_id(audit(host))
    assert controls["os.aide.database"]["status"] == "not_applicable"
    assert controls["os.aide.database"]["reason"].startswith("pending")


def test_disabled_area_names_the_switch():
    controls = by_id(audit(with_units(hardened_host()), areas={"auditd": False, "ssh": False}))
    assert controls["os.auditd"]["status"] == "not_applicable"
    assert "os_hardening_auditd_enabled: false" in controls["os.auditd"]["reason"]


def test_password_hash_mismatch_between_login_defs_and_pam():
    host = with_units(hardened_host())
    controls = by_id(audit(host, password_hash_algorithm="sha512",
                           login_defs=dict(DEFAULTS["login_defs"], ENCRYPT_METHOD="SHA512")))
    reason = controls["os.password_hash"]["reason"]
    assert "login.defs ENCRYPT_METHOD is yescrypt" in reason and "pam_unix hashes with yescrypt" in reason


HARDENED_SSHD_T = """port 22
permitrootlogin no
passwordauthentication no
kbdinteractiveauthentication no
permitemptypasswords no
hostbasedauthentication no
ignorerhosts yes
permituserenvironment no
strictmodes yes
loglevel VERBOSE
x11forwarding no
allowtcpforwarding no
allowagentforwarding no
allowstreamlocalforwarding no
permittunnel no
gatewayports no
maxauthtries 3
logingracetime 30
clientaliveinterval 300
clientalivecountmax 2
banner /etc/ssh/sshd-banner
compression no
kexalgorithms sntrup761x25519-sha512@openssh.com
ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com
macs hmac-sha2-512-etm@openssh.com
hostkeyalgorithms ssh-ed25519
pubkeyacceptedalgorithms ssh-ed25519
hostkey /etc/ssh/ssh_host_ed25519_key
"""
ED25519_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl host\n"


def test_ssh_controls_come_from_the_ssh_evaluation():
    host = with_units(hardened_host())
    host.binaries.add("sshd")
    host.files["/etc/ssh/ssh_host_ed25519_key.pub"] = ED25519_PUB
    host.commands["sshd -T"] = (0, HARDENED_SSHD_T, "")
    host.commands["sshd -V"] = (0, "", "OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15")
    result = audit(host, areas={})
    ssh = [c for c in result["controls"] if c["area"] == "ssh"]
    assert {c["id"] for c in ssh} >= {"ssh.kex.no_weak", "ssh.permit_root_login", "ssh.host_keys", "ssh.moduli"}
    assert [c["id"] for c in ssh if c["status"] == "fail"] == []
    weak = HARDENED_SSHD_T.replace("permitrootlogin no", "permitrootlogin yes").replace(
        "kexalgorithms sntrup761x25519-sha512@openssh.com", "kexalgorithms ecdh-sha2-nistp256")
    host.commands["sshd -T"] = (0, weak, "")
    failed = audit(host, areas={})["failed_controls"]
    assert "ssh.permit_root_login" in failed and "ssh.kex.no_weak" in failed


def test_sshd_not_running_is_not_a_failure():
    host = with_units(hardened_host())
    host.binaries.add("sshd")
    host.commands["sshd -T"] = (255, "", "Missing privilege separation directory: /run/sshd")
    controls = by_id(audit(host, areas={}))
    assert controls["ssh.config"]["status"] == "not_applicable"


def test_params_do_not_leak_between_auditors():
    host = with_units(hardened_host())
    before = copy.deepcopy(DEFAULTS)
    audit(host, sysctl={"net.ipv4.ip_forward": 1})
    assert DEFAULTS == before


@pytest.mark.parametrize("setting, expected", [("true", "container"), ("false", None)])
def test_container_override(setting, expected):
    host = with_units(hardened_host())
    host.files["/run/systemd/container"] = "docker\n"
    assert Auditor(host, {"container": setting}).container == expected


def test_backend_audits_with_the_module_options_and_never_changes(monkeypatch):
    seen = {}

    class RecordingAuditor:
        def __init__(self, host, params):
            seen["module"], seen["params"] = host.module, params

        def run(self):
            return {"score": 100.0, "failed_controls": []}

    monkeypatch.setattr(audit_backend, "Auditor", RecordingAuditor)
    module = type("Module", (), {"params": {"umask": "027", "banner_text": None}})()
    backend = AuditBackend(module)
    assert seen == {}  # nothing is read before run(), where the module's error handling applies
    assert backend.run() == {"changed": False, "score": 100.0, "failed_controls": []}
    assert seen["module"] is module and seen["params"] == {"umask": "027", "banner_text": None}
