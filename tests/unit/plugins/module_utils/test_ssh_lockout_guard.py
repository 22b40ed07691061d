from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.sshd_audit import parse_sshd_t
from ansible_collections.ironclad.infra.plugins.module_utils._ssh_lockout_guard import (
    access_problems,
    evaluate_lockout,
    expand_authorized_keys_paths,
    is_ssh_connection,
    match_host_and_ip,
    match_user_entry,
    usable_keys,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

FIXTURES = Path(__file__).parent / "fixtures" / "ssh"
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
