from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.lockout_guard import (
    access_problems,
    evaluate_lockout,
    expand_authorized_keys_paths,
    find_ssh_session,
    is_ssh_connection,
    match_host_and_ip,
    match_user_entry,
    parse_ssh_connection,
    usable_keys,
)
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.sshd_audit import parse_sshd_t
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ssh"
ACCOUNT = {"name": "alice", "uid": 1000, "home": "/home/alice"}


def public(key):
    text = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return text.decode() + " alice@laptop\n"


@pytest.fixture(scope="module")
def keys():
    return {
        "ed25519": public(ed25519.Ed25519PrivateKey.generate()),
        "rsa2048": public(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "ecdsa": public(ec.generate_private_key(ec.SECP256R1())),
    }


@pytest.fixture()
def hardened():
    return parse_sshd_t((FIXTURES / "sshd_T_debian12_hardened.txt").read_text())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ssh", True), ("ansible.builtin.ssh", True), ("paramiko", True), ("ansible.netcommon.libssh", True),
        (None, True), ("community.docker.docker", False), ("docker", False), ("local", False),
        ("ansible.builtin.local", False), ("community.general.lxc", False),
    ],
)
def test_is_ssh_connection(name, expected):
    assert is_ssh_connection(name) is expected


def test_user_entry_matching():
    assert match_user_entry("alice", None, None, "alice") is True
    assert match_user_entry("alice", None, None, "al*") is True
    assert match_user_entry("alice", None, None, "Alice") is False
    assert match_user_entry("alice", "10.1.2.3", "10.1.2.3", "alice@10.0.0.0/8") is True
    assert match_user_entry("alice", "192.168.1.1", "192.168.1.1", "alice@10.0.0.0/8") is False
    assert match_user_entry("alice", None, None, "alice@10.0.0.0/8") is None
    assert match_user_entry("alice", None, None, "alice@*") is True
    assert match_user_entry("bob", None, None, "alice@10.0.0.0/8") is False


def test_host_pattern_negation():
    assert match_host_and_ip("10.0.0.5", "10.0.0.5", "10.0.0.*,!10.0.0.5") is False
    assert match_host_and_ip("10.0.0.6", "10.0.0.6", "10.0.0.*,!10.0.0.5") is True


def test_access_lists_follow_sshd_order():
    config = {"allowusers": ["bob", "carol"]}
    assert access_problems("alice", ["alice"], config) == ["'alice' is not in AllowUsers (bob carol)"]
    assert access_problems("bob", ["bob"], config) == []
    assert access_problems("bob", ["bob"], {"denyusers": ["b*"], "allowusers": ["bob"]})[0].startswith("'bob' matches DenyUsers")
    assert "DenyGroups" in access_problems("alice", ["alice", "contractors"], {"denygroups": ["contractors"]})[0]
    assert "AllowGroups" in access_problems("alice", ["alice"], {"allowgroups": ["admins"]})[0]
    assert access_problems("alice", ["alice", "admins"], {"allowgroups": ["adm*"]}) == []


def test_access_with_host_part_and_unknown_address_cannot_be_decided():
    problems = access_problems("alice", ["alice"], {"allowusers": ["alice@10.0.0.0/8"]})
    assert problems and "cannot tell" in problems[0]
    assert access_problems("alice", ["alice"], {"allowusers": ["alice@10.0.0.0/8"], "usedns": ["no"]}, address="10.9.9.9") == []


def test_usable_keys_respect_algorithms_and_rsa_size(keys, hardened):
    usable, rejected = usable_keys([("/home/alice/.ssh/authorized_keys", keys["ed25519"] + keys["rsa2048"] + keys["ecdsa"])], hardened)
    assert len(usable) == 1 and "ed25519" in usable[0]
    assert any("RequiredRSASize 3072" in r for r in rejected)
    assert any("ecdsa-sha2-nistp256 is not in PubkeyAcceptedAlgorithms" in r for r in rejected)


def test_expand_authorized_keys_paths():
    paths = expand_authorized_keys_paths([".ssh/authorized_keys", "/etc/ssh/keys/%u", "%h/k%%", "none"], ACCOUNT)
    assert paths == ["/home/alice/.ssh/authorized_keys", "/etc/ssh/keys/alice", "/home/alice/k%"]


def test_user_with_usable_key_passes(keys, hardened):
    outcome = evaluate_lockout("alice", ACCOUNT, ["alice"], hardened, [("/home/alice/.ssh/authorized_keys", keys["ed25519"])])
    assert outcome["problems"] == []
    assert any("can log in with publickey" in n for n in outcome["notes"])


def test_user_without_key_is_refused_when_passwords_go_off(keys, hardened):
    outcome = evaluate_lockout("alice", ACCOUNT, ["alice"], hardened, [])
    assert len(outcome["problems"]) == 1
    assert "no usable login method" in outcome["problems"][0]
    assert "has no authorized key" in outcome["problems"][0]


def test_user_with_only_a_weak_key_is_refused(keys, hardened):
    outcome = evaluate_lockout("alice", ACCOUNT, ["alice"], hardened, [("/k", keys["rsa2048"] + keys["ecdsa"])])
    assert outcome["problems"]


def test_user_without_key_passes_when_passwords_stay_on(hardened):
    hardened["passwordauthentication"] = ["yes"]
    assert evaluate_lockout("alice", ACCOUNT, ["alice"], hardened, [])["problems"] == []


def test_allow_list_excluding_the_user_is_refused(keys, hardened):
    hardened["allowusers"] = ["deploy"]
    outcome = evaluate_lockout("alice", ACCOUNT, ["alice"], hardened, [("/k", keys["ed25519"])])
    assert outcome["problems"] == ["'alice' is not in AllowUsers (deploy)"]


def test_root_with_permit_root_login_no_is_refused(keys, hardened):
    root = {"name": "root", "uid": 0, "home": "/root"}
    outcome = evaluate_lockout("root", root, ["root"], hardened, [("/root/.ssh/authorized_keys", keys["ed25519"])])
    assert any("PermitRootLogin no" in p for p in outcome["problems"])
    hardened["permitrootlogin"] = ["without-password"]
    assert evaluate_lockout("root", root, ["root"], hardened, [("/k", keys["ed25519"])])["problems"] == []


def test_authentication_methods_requiring_password_without_password_is_refused(keys, hardened):
    hardened["authenticationmethods"] = ["publickey,password"]
    outcome = evaluate_lockout("alice", ACCOUNT, ["alice"], hardened, [("/k", keys["ed25519"])])
    assert outcome["problems"]


def test_missing_account_and_keys_command(hardened):
    assert "does not exist" in evaluate_lockout("ghost", None, [], hardened, [])["problems"][0]
    hardened["authorizedkeyscommand"] = ["/usr/bin/sss_ssh_authorizedkeys"]
    outcome = evaluate_lockout("alice", ACCOUNT, ["alice"], hardened, [])
    assert outcome["problems"] == []
    assert any("AuthorizedKeysCommand" in n for n in outcome["notes"])


def test_controller_client_without_a_common_kex_is_refused(keys, hardened):
    old_client = {"kex": ["curve25519-sha256", "ecdh-sha2-nistp256"], "ciphers": ["aes128-ctr"], "macs": []}
    outcome = evaluate_lockout("alice", ACCOUNT, ["alice"], hardened, [("/k", keys["ed25519"])], client_algorithms=old_client)
    assert len(outcome["problems"]) == 1
    assert "kexalgorithms" in outcome["problems"][0]


# -- the SSH session a module runs over ------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("172.17.0.1 51234 172.17.0.3 22", {"client": "172.17.0.1", "client_port": 51234, "server": "172.17.0.3",
                                        "server_port": 22}),
    ("::ffff:10.0.0.5 40000 ::ffff:10.0.0.9 2222", {"client": "10.0.0.5", "client_port": 40000,
                                                    "server": "10.0.0.9", "server_port": 2222}),
    ("fe80::1%eth0 40000 fe80::2%eth0 22", {"client": "fe80::1", "client_port": 40000, "server": "fe80::2",
                                            "server_port": 22}),
    ("", None), ("172.17.0.1 51234 172.17.0.3", None), ("host 1 other 22", None), (None, None),
])
def test_parse_ssh_connection(text, expected):
    assert parse_ssh_connection(text) == expected


def fake_proc(root, processes):
    """processes: {pid: (ppid, name, environ dict or None)}."""
    for pid, (ppid, name, environ) in processes.items():
        directory = root / str(pid)
        directory.mkdir()
        (directory / "status").write_text("Name:\t%s\nState:\tS (sleeping)\nPPid:\t%d\n" % (name, ppid))
        if environ is not None:
            (directory / "environ").write_bytes(b"\0".join(("%s=%s" % kv).encode() for kv in environ.items()) + b"\0")
    return str(root)


def test_session_from_the_own_environment():
    session = find_ssh_session({"SSH_CONNECTION": "10.0.0.5 40000 10.0.0.9 22"}, pid=1, proc="/nonexistent")
    assert session == {"client": "10.0.0.5", "client_port": 40000, "server": "10.0.0.9", "server_port": 22,
                       "source": "environment"}


def test_session_under_sudo_is_read_from_the_process_that_escalated(tmp_path):
    # sshd -> login shell (SSH_CONNECTION) -> sudo -> sudo (use_pty monitor) -> sh -> python (env_reset)
    proc = fake_proc(tmp_path, {
        300: (1, "sshd", {"PATH": "/usr/sbin"}),
        310: (300, "sh", {"SSH_CONNECTION": "192.168.1.5 51234 192.168.1.20 22", "USER": "admin"}),
        320: (310, "sudo", {"SSH_CONNECTION": "192.168.1.5 51234 192.168.1.20 22", "USER": "admin"}),
        321: (320, "sudo", {"SSH_CONNECTION": "192.168.1.5 51234 192.168.1.20 22", "USER": "admin"}),
        330: (321, "sh", {"SUDO_USER": "admin"}),
        340: (330, "python3", {"SUDO_USER": "admin"}),
    })
    session = find_ssh_session({"SUDO_USER": "admin"}, pid=340, proc=proc)
    assert session == {"client": "192.168.1.5", "client_port": 51234, "server": "192.168.1.20", "server_port": 22,
                       "source": "process 321 (sudo)"}


def test_no_session_under_docker_exec_or_local(tmp_path):
    # docker exec: the process's parent is outside the container's pid namespace (PPid 0)
    proc = fake_proc(tmp_path, {
        50: (0, "sh", {"PATH": "/bin"}),
        60: (50, "python3", {"PATH": "/bin"}),
        1: (0, "systemd", None),
        70: (1, "python3", {}),
    })
    assert find_ssh_session({}, pid=60, proc=proc) is None
    assert find_ssh_session({}, pid=70, proc=proc) is None  # a service started by init
    assert find_ssh_session({}, pid=99, proc=proc) is None  # a process that is gone


def test_unreadable_environments_are_skipped_and_loops_end(tmp_path):
    proc = fake_proc(tmp_path, {
        10: (11, "a", None),
        11: (10, "b", None),  # a loop (cannot happen in /proc, must not hang)
        20: (21, "python3", {}),
        21: (22, "su", None),  # environ not readable
        22: (1, "bash", {"SSH_CONNECTION": "10.1.1.1 1000 10.1.1.2 22"}),
    })
    assert find_ssh_session({}, pid=10, proc=proc) is None
    assert find_ssh_session({}, pid=20, proc=proc)["source"] == "process 22 (bash)"
