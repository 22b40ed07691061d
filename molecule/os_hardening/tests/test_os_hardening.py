"""Behaviour of hosts hardened by playbooks/harden.yml, checked from inside, from the other host and
from the controller.

Tests that take the ``host`` fixture run once per host (``docker://`` backend). PAM is exercised for
real through libpam (ctypes) with a test service that includes the common-* stacks, like login and
sshd do. The playbook runs at the end (audit, bad input) run once for all hosts; check mode on the
converged hosts is molecule/_shared/test_check_mode.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import textwrap

import pytest
from lab_hosts import name_of, on, peer_of
from playbook_runs import ansible_playbook, recap
from testinfra.utils.ansible_runner import AnsibleRunner

RUNNER = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
HOSTS = sorted(RUNNER.get_hosts("hardened_hosts"))
SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(SCENARIO_DIR))

testinfra_hosts = ["docker://" + name for name in HOSTS]

# A PAM client: pam_start/authenticate/acct_mgmt/chauthtok with a conversation that answers every
# prompt with the given password, and no fail delay (pam_unix would sleep 2 s per failure).
PAM_CLIENT = textwrap.dedent('''
    import ctypes, ctypes.util, json, sys
    pam = ctypes.CDLL(ctypes.util.find_library("pam"))
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.calloc.restype = ctypes.c_void_p
    libc.strdup.restype = ctypes.c_void_p
    libc.strdup.argtypes = [ctypes.c_char_p]

    class Message(ctypes.Structure):
        _fields_ = [("style", ctypes.c_int), ("msg", ctypes.c_char_p)]

    class Response(ctypes.Structure):
        _fields_ = [("resp", ctypes.c_void_p), ("code", ctypes.c_int)]

    CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.POINTER(Message)),
                            ctypes.POINTER(ctypes.POINTER(Response)), ctypes.c_void_p)
    DELAY = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p)

    class Conv(ctypes.Structure):
        _fields_ = [("conv", CONV), ("data", ctypes.c_void_p)]

    service, user, action, password = sys.argv[1:5]
    messages = []

    def converse(count, msgs, resp, _data):
        array = ctypes.cast(libc.calloc(count, ctypes.sizeof(Response)), ctypes.POINTER(Response))
        for i in range(count):
            style = msgs[i].contents.style
            text = (msgs[i].contents.msg or b"").decode()
            if style in (1, 2):
                array[i].resp = libc.strdup(password.encode())
            else:
                messages.append(text)
        resp[0] = array
        return 0

    conv = Conv(CONV(converse), None)
    no_delay = DELAY(lambda *args: None)
    handle = ctypes.c_void_p()
    rc = pam.pam_start(service.encode(), user.encode(), ctypes.byref(conv), ctypes.byref(handle))
    pam.pam_set_item(handle, 10, no_delay)
    if rc == 0 and action == "auth":
        rc = pam.pam_authenticate(handle, 0)
        if rc == 0:
            rc = pam.pam_acct_mgmt(handle, 0)
    elif rc == 0 and action == "chauthtok":
        rc = pam.pam_chauthtok(handle, 0)
    pam.pam_strerror.restype = ctypes.c_char_p
    text = pam.pam_strerror(handle, rc).decode()
    pam.pam_end(handle, rc)
    print(json.dumps({"rc": rc, "error": text, "messages": messages}))
''')

PAM_SERVICE = "@include common-auth\n@include common-account\n@include common-password\n@include common-session\n"


def pam(host, user, action, password):
    host.check_output("test -e /etc/pam.d/ironclad-test || printf '%s' > /etc/pam.d/ironclad-test" % PAM_SERVICE.replace("\n", "\\n"))
    script = "/root/ironclad_pam_client.py"
    host.check_output("cat > %s <<'EOF'\n%sEOF" % (script, PAM_CLIENT))
    out = host.check_output("python3 %s ironclad-test %s %s '%s'" % (script, user, action, password))
    return json.loads(out)


def make_user(host, user, password):
    host.check_output("id %s >/dev/null 2>&1 || useradd -m -s /bin/bash %s" % (user, user))
    host.check_output("usermod -p \"$(openssl passwd -6 '%s')\" %s" % (password, user))
    host.check_output("faillock --user %s --reset" % user)


# --- file integrity first: later tests add users, which AIDE would (rightly) report ---------------------

AIDE = "aide --config=/etc/aide/aide.conf"


def wait_for_package_jobs(host):
    """Wait until the apt timers' jobs (enabled by the updates area, due at once on a fresh host) end."""
    # Both are oneshot units: "activating" while they run, "inactive" (or "failed") after.
    host.check_output("for i in $(seq 1 300); do systemctl is-active apt-daily.service apt-daily-upgrade.service"
                      " | grep -Eqx 'activating|active|deactivating' || exit 0; sleep 1; done; exit 1")


def packages_changed_since_database(host):
    """Whether dpkg changed packages after the AIDE database was written (AIDE then rightly reports files)."""
    newest = host.run("tail -n 1 /var/log/dpkg.log | cut -c1-19").stdout.strip()
    if not newest:
        return False
    changed = int(host.check_output("date -d %s +%%s" % shlex.quote(newest)))
    return changed >= int(host.check_output("stat -c %Y /var/lib/aide/aide.db"))


def test_aide_database_is_built_in_the_background_and_checks_clean(host):
    assert host.service("ironclad-aide-check.timer").is_enabled
    assert host.service("ironclad-aide-check.timer").is_running
    # The first build runs as a one-shot unit after converge; wait for it (the run did not).
    host.check_output("for i in $(seq 1 300); do [ -e /var/lib/aide/aide.db ] && exit 0; sleep 1; done; exit 1")
    wait_for_package_jobs(host)
    check = host.run("%s --check" % AIDE)
    if check.rc != 0 and packages_changed_since_database(host):
        # An unattended upgrade changed packages after the first build: AIDE is right to report that,
        # and it says nothing about the configuration. Build again from the settled system; the check
        # below must then be clean, or the configuration watches files that change by themselves.
        host.check_output("%s --init >/dev/null && mv -f /var/lib/aide/aide.db.new /var/lib/aide/aide.db" % AIDE)
        check = host.run("%s --check" % AIDE)
    assert check.rc == 0, check.stdout[-2000:]


# --- PAM -------------------------------------------------------------------------------------------------

def test_account_locks_after_five_failed_logins(host):
    make_user(host, "locktest", "Locktest-Passw0rd-1")
    assert pam(host, "locktest", "auth", "Locktest-Passw0rd-1")["rc"] == 0
    for _attempt in range(5):
        assert pam(host, "locktest", "auth", "wrong-password")["rc"] != 0
    locked = pam(host, "locktest", "auth", "Locktest-Passw0rd-1")
    assert locked["rc"] != 0, "the right password still worked after 5 failures: %s" % locked
    assert len(host.check_output("faillock --user locktest").splitlines()) >= 5 + 2
    host.check_output("faillock --user locktest --reset")
    assert pam(host, "locktest", "auth", "Locktest-Passw0rd-1")["rc"] == 0


def test_weak_passwords_are_refused_and_strong_ones_hashed_with_yescrypt(host):
    make_user(host, "pwtest", "Pwtest-Passw0rd-1")
    weak = pam(host, "pwtest", "chauthtok", "abc123")
    assert weak["rc"] != 0, weak
    strong = pam(host, "pwtest", "chauthtok", "Str0ng-Passphrase-For-Ironclad!")
    assert strong["rc"] == 0, strong
    assert host.check_output("getent shadow pwtest").split(":")[1].startswith("$y$")


def test_login_sessions_get_umask_timeout_tmpdir_and_no_core_dumps(host):
    make_user(host, "sessiontest", "Session-Passw0rd-1")
    out = host.check_output("su - sessiontest -c 'umask; echo $TMOUT; echo $TMPDIR; ulimit -c; ulimit -H -c'").split()
    uid = host.check_output("id -u sessiontest")
    assert out == ["0027", "900", "/tmp/user/%s" % uid, "0", "0"]
    assert host.run("su - sessiontest -c 'TMOUT=0'").rc != 0  # readonly


def test_login_defs_ageing_for_new_accounts(host):
    host.check_output("id agetest >/dev/null 2>&1 || useradd agetest")
    ageing = host.check_output("chage -l agetest")
    assert re.search(r"Maximum number of days between password change\s*:\s*365", ageing)
    assert re.search(r"Minimum number of days between password change\s*:\s*1", ageing)


# --- filesystem ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("directory", ["/tmp", "/dev/shm"])
def test_programs_cannot_run_from_temporary_filesystems(host, directory):
    host.check_output("cp /bin/true %s/ironclad-exec-test && chmod 755 %s/ironclad-exec-test" % (directory, directory))
    result = host.run("%s/ironclad-exec-test" % directory)
    host.run("rm -f %s/ironclad-exec-test" % directory)
    assert result.rc == 126 and "Permission denied" in result.stderr


def test_rogue_setuid_file_was_stripped_and_statoverride_keeps_it(host):
    assert not host.file("/usr/local/bin/rogue-id").mode & 0o6000
    assert not host.file("/usr/bin/chfn").mode & 0o6000
    assert host.file("/usr/bin/passwd").mode & 0o4000
    assert "/usr/bin/chfn" in host.check_output("dpkg-statoverride --list")
    out = host.run("su - sessiontest -c 'chfn -f x' </dev/null")
    assert out.rc != 0


def test_sensitive_files_and_cron_lists(host):
    assert host.file("/etc/shadow").mode == 0o640
    assert host.file("/etc/cron.d").mode == 0o700
    assert host.file("/etc/cron.allow").content_string.split() == ["root"]
    assert host.file("/etc/cron.allow").mode == 0o600
    assert not host.file("/etc/cron.deny").exists
    assert not host.file("/etc/at.deny").exists


def test_legacy_package_was_purged(host):
    assert not host.package("telnet").is_installed


def test_banner_reveals_no_system_details(host):
    for path in ("/etc/issue", "/etc/issue.net"):
        text = host.file(path).content_string
        assert text.startswith("Authorized access only")
        assert not re.search(r"\\[mrsv]|Debian", text)


def test_sysctl_settings_are_persisted_and_running_values_reported(host):
    text = host.file("/etc/sysctl.d/99-zz-ironclad-hardening.conf").content_string
    assert "kernel.kptr_restrict = 2" in text and "net.ipv4.ip_forward = 0" in text
    # /proc/sys is read-only in these containers: nothing to set, nothing failed.
    assert host.run("sh -c 'echo 2 > /proc/sys/kernel/kptr_restrict'").rc != 0


# --- services ---------------------------------------------------------------------------------------------

def test_updates_are_automatic_from_the_security_repository(host):
    config = host.check_output("apt-config dump")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
    assert host.service("apt-daily-upgrade.timer").is_enabled
    policy = host.check_output("apt-cache policy")
    assert re.search(r"debian-security \S+-security/main", policy)


def test_rootkit_scan_is_scheduled(host):
    assert host.service("chkrootkit.timer").is_enabled


def test_container_skips_are_reported_not_failed(host):
    assert not host.package("auditd").is_installed
    assert not host.package("acct").is_installed
    assert not host.file("/etc/modprobe.d/ironclad-hardening.conf").exists


def test_fail2ban_bans_a_peer_that_guesses_user_names(host):
    peer = peer_of(host, HOSTS)
    # The peer connects by name, over IPv6 or IPv4: whichever address it uses gets banned.
    peer_addresses = peer.check_output("hostname -I").split()
    # A ban drops packets of connections already open too: bound every attempt in time.
    ssh = ("timeout 20 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
           "-o ConnectTimeout=5 -o ServerAliveInterval=2 -o ServerAliveCountMax=2 %s@" + name_of(host) + " true")
    for attempt in range(6):
        peer.run(ssh % ("nosuchuser%d" % attempt))
        if any(a in host.check_output("fail2ban-client status sshd") for a in peer_addresses):
            break
    pattern = "\\|".join(peer_addresses)
    host.check_output(
        "for i in $(seq 1 30); do fail2ban-client status sshd | grep -q '%s' && exit 0; sleep 1; done; "
        "fail2ban-client status sshd; exit 1" % pattern)
    banned = [a for a in peer_addresses if a in host.check_output("fail2ban-client status sshd")]
    assert banned and banned[0] in host.check_output("nft list table inet f2b-table")
    # Same address family as the banned address (the client would fall back to the other one).
    refused = peer.run((ssh % "nosuchuser").replace("ssh ", "ssh -6 " if ":" in banned[0] else "ssh -4 ", 1))
    for address in banned:
        host.check_output("fail2ban-client set sshd unbanip %s" % address)
    assert refused.rc in (124, 255), refused.stderr
    assert "Authorised access only" not in refused.stderr, "sshd still answered the banned address"


# --- playbook runs: the audit, bad input ------------------------------------------------------

def test_audit_finds_no_failing_control_and_explains_container_skips():
    run = ansible_playbook(os.path.join(REPO, "playbooks", "audit.yml"), "-e", "os_hardening_audit_fail_under=100",
                           callback="ansible.builtin.json", timeout=900)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    plays = json.loads(run.stdout[run.stdout.index("{"):])["plays"]
    results = {}
    for task in plays[0]["tasks"]:
        for name, result in task["hosts"].items():
            if "controls" in result:
                results[name] = result
    assert set(results) == set(HOSTS)
    for result in results.values():
        controls = {c["id"]: c for c in result["controls"]}
        assert result["changed"] is False
        assert result["summary"]["fail"] == 0, [c for c in result["controls"] if c["status"] == "fail"]
        assert result["score"] == 100.0
        assert result["container"] == "docker"
        for skipped in ("os.auditd", "os.kernel_modules", "os.accounting", "os.time_sync"):
            assert controls[skipped]["status"] == "not_applicable"
            assert controls[skipped]["reason"].startswith("docker container:")
        assert controls["os.pam.faillock"]["status"] == "pass"
        assert controls["ssh.kex.post_quantum"]["status"] == "pass"


def state_of(name):
    host = on(name)
    return host.check_output("sha256sum /etc/login.defs /etc/security/pwquality.conf /etc/security/faillock.conf "
                             "/etc/pam.d/common-auth /etc/pam.d/common-password /etc/cron.allow")


def test_bad_input_is_refused_before_anything_changes():
    before = {name: state_of(name) for name in HOSTS}
    run = ansible_playbook("invalid.yml", timeout=900)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    counters = recap(output)
    for name in HOSTS:
        assert counters[name]["rescued"] == 4, output[-4000:]
        assert counters[name]["changed"] == 0, output[-4000:]
        assert state_of(name) == before[name]
