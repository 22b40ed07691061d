from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.algorithms import (
    CLASSIC,
    KINDS,
    PQ,
    WEAK,
    SshAlgorithmError,
    algorithm_class,
    algorithm_problems,
    choose_algorithms,
    parse_openssh_version,
)
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.keys import parse_public_key
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.moduli import filter_moduli
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.sshd_audit import evaluate_host_keys, evaluate_moduli, evaluate_sshd_config, parse_sshd_t
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ssh"


def openssh_public(key, comment="test"):
    text = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return text.decode() + " " + comment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.20 7 Apr 2026", (9, 2)),
        ("OpenSSH_10.0p2 Debian-7, OpenSSL 3.5.1", (10, 0)),
        ("OpenSSH_9.2, OpenSSL 3.0.20 7 Apr 2026", (9, 2)),
        ("sshd: illegal option -- V\nOpenSSH_8.4p1 Debian-5, OpenSSL 1.1.1n", (8, 4)),
        ("9.9", (9, 9)),
        ("9.10p1", (9, 10)),
        ((10, 1), (10, 1)),
    ],
)
def test_parse_openssh_version(text, expected):
    assert parse_openssh_version(text) == expected


@pytest.mark.parametrize("bad", ["", None, "Dropbear 2022.83", "sshd: command not found"])
def test_parse_openssh_version_rejects_text_without_version(bad):
    with pytest.raises(SshAlgorithmError, match="cannot find an OpenSSH version"):
        parse_openssh_version(bad)


def test_parse_openssh_version_refuses_floats_that_lose_digits():
    with pytest.raises(SshAlgorithmError, match="quote it"):
        parse_openssh_version(9.1)


def test_debian12_gets_sntrup_only_and_no_weak_names():
    chosen = choose_algorithms("OpenSSH_9.2p1 Debian-2+deb12u10")
    assert chosen["KexAlgorithms"] == ["sntrup761x25519-sha512@openssh.com"]
    assert "PubkeyAcceptedAlgorithms" in chosen
    for keyword, kind in (("Ciphers", "ciphers"), ("MACs", "macs"), ("HostKeyAlgorithms", "host_key_algorithms")):
        assert chosen[keyword]
        assert all(algorithm_class(kind, name) != WEAK for name in chosen[keyword])
    assert all(name.endswith("-etm@openssh.com") for name in chosen["MACs"])


def test_debian13_gets_mlkem_first():
    chosen = choose_algorithms("10.0")
    assert chosen["KexAlgorithms"] == [
        "mlkem768x25519-sha256",
        "sntrup761x25519-sha512",
        "sntrup761x25519-sha512@openssh.com",
    ]
    assert all(algorithm_class("kex", n) == PQ for n in chosen["KexAlgorithms"])


def test_classic_fallback_comes_after_the_hybrids():
    kex = choose_algorithms("9.2", classic_fallback=True)["KexAlgorithms"]
    assert kex[0] == "sntrup761x25519-sha512@openssh.com"
    assert kex[1:] == ["curve25519-sha256", "curve25519-sha256@libssh.org"]
    assert all(algorithm_class("kex", n) == CLASSIC for n in kex[1:])


def test_old_openssh_without_hybrid_gets_curve25519_and_old_keyword():
    chosen = choose_algorithms("8.4")
    assert chosen["KexAlgorithms"] == ["curve25519-sha256", "curve25519-sha256@libssh.org"]
    assert "PubkeyAcceptedKeyTypes" in chosen and "PubkeyAcceptedAlgorithms" not in chosen
    assert "CASignatureAlgorithms" in chosen
    assert "CASignatureAlgorithms" not in choose_algorithms("7.8")


def test_explicit_list_replaces_the_choice():
    chosen = choose_algorithms("9.2", overrides={"ciphers": ["aes256-gcm@openssh.com"], "macs": []})
    assert chosen["Ciphers"] == ["aes256-gcm@openssh.com"]
    assert chosen["MACs"]  # empty list means "choose for me"


def test_explicit_list_with_problems_names_each():
    with pytest.raises(SshAlgorithmError) as excinfo:
        choose_algorithms("9.2", overrides={"kex": ["mlkem768x25519-sha256", "nope"], "macs": ["hmac-sha1"]})
    message = str(excinfo.value)
    assert "kex:" in message and "needs OpenSSH 9.9" in message and "'nope' is not a known" in message
    assert "macs:" in message and "'hmac-sha1' is weak (SHA-1" in message


def test_weak_names_are_allowed_when_asked():
    chosen = choose_algorithms("9.2", overrides={"macs": ["hmac-sha1"]}, allow_weak=True)
    assert chosen["MACs"] == ["hmac-sha1"]


def test_unknown_kind_is_refused():
    with pytest.raises(SshAlgorithmError, match="unknown algorithm kind"):
        choose_algorithms("9.2", overrides={"kexes": ["x"]})


def test_algorithm_problems():
    assert algorithm_problems([], "kex") == []
    assert algorithm_problems("curve25519-sha256,sntrup761x25519-sha512@openssh.com", "kex", "9.2") == []
    problems = algorithm_problems(["ssh-dss", "ssh-ed25519", "ssh-ed25519", ""], "host_key_algorithms", "10.0")
    assert "'ssh-dss' was removed in OpenSSH 10.0; this host runs 10.0" in problems
    assert "'ssh-ed25519' is listed twice" in problems
    assert "'' is not an algorithm name" in problems
    assert algorithm_problems(["ecdh-sha2-nistp256"], "kex", allow_weak=True) == []
    with pytest.raises(SshAlgorithmError):
        algorithm_problems(["x"], "cipher")


def test_every_default_is_known_and_strong_for_every_kind():
    for version in ("8.5", "9.2", "9.9", "10.0"):
        chosen = choose_algorithms(version)
        for kind, keyword in KINDS.items():
            names = chosen.get(keyword, [])
            assert algorithm_problems(names, kind, version) == [], (version, kind)


def test_parse_public_key_types_and_sizes():
    ed = parse_public_key(openssh_public(ed25519.Ed25519PrivateKey.generate()))
    assert ed["type"] == "ed25519" and ed["bits"] == 256 and ed["algorithm"] == "ssh-ed25519"
    big = parse_public_key(openssh_public(rsa.generate_private_key(public_exponent=65537, key_size=3072)))
    assert big["type"] == "rsa" and big["bits"] == 3072
    ecdsa = parse_public_key(openssh_public(ec.generate_private_key(ec.SECP384R1())))
    assert ecdsa["type"] == "ecdsa" and ecdsa["bits"] == 384


def test_parse_public_key_skips_options_with_spaces_and_ignores_junk():
    key = openssh_public(ed25519.Ed25519PrivateKey.generate())
    line = 'from="10.0.0.0/8",command="echo hello world" ' + key
    parsed = parse_public_key(line)
    assert parsed["type"] == "ed25519"
    assert parsed["options"].startswith('from="10.0.0.0/8"')
    assert parse_public_key("# comment") is None
    assert parse_public_key("") is None
    assert parse_public_key("ssh-ed25519 not-base64!!") is None


def test_filter_moduli_keeps_comments_and_large_groups():
    text = (
        "# Time Type Tests Tries Size Generator Modulus\n"
        "20220714110357 2 6 100 2047 2 E98F\n"
        "20220714110357 2 6 100 3071 2 E98F\n"
        "20220714110357 2 6 100 8191 5 E98F\n"
    )
    new_text, kept, removed = filter_moduli(text, 3072)
    assert (kept, removed) == (2, 1)
    assert new_text.startswith("# Time")
    assert " 2047 " not in new_text
    assert filter_moduli(new_text, 3072) == (new_text, 2, 0)


def test_evaluate_moduli():
    assert evaluate_moduli("x 2 6 100 2047 2 AB\n")["status"] == "fail"
    assert evaluate_moduli("x 2 6 100 4095 2 AB\n")["status"] == "pass"
    assert evaluate_moduli(None)["status"] == "not_applicable"
    assert evaluate_moduli("# only a comment\n")["status"] == "fail"


def test_evaluate_host_keys():
    good = [{"path": "/a", "type": "ed25519", "bits": 256}, {"path": "/b", "type": "rsa", "bits": 3072}]
    assert evaluate_host_keys(good)["status"] == "pass"
    bad = [*good, {"path": "/c", "type": "ecdsa", "bits": 256}, {"path": "/d", "type": "rsa", "bits": 2048}]
    finding = evaluate_host_keys(bad)
    assert finding["status"] == "fail" and "/c" in finding["reason"] and "/d" in finding["reason"]
    assert evaluate_host_keys([])["status"] == "fail"


def _by_id(findings):
    return {f["id"]: f for f in findings}


def test_evaluate_stock_debian12_fails_the_important_controls():
    text = (FIXTURES / "sshd_T_debian12_stock.txt").read_text()
    findings = _by_id(evaluate_sshd_config(text, "9.2"))
    for control in ("ssh.kex.no_weak", "ssh.kex.post_quantum", "ssh.macs.etm", "ssh.host_key_algorithms.strong",
                    "ssh.password_authentication", "ssh.permit_root_login", "ssh.log_level", "ssh.x11_forwarding",
                    "ssh.banner", "ssh.max_auth_tries"):
        assert findings[control]["status"] == "fail", control
    assert "ecdh-sha2-nistp256" in findings["ssh.kex.no_weak"]["reason"]
    assert all(set(f) == {"id", "title", "status", "reason"} for f in findings.values())


@pytest.mark.parametrize(("fixture", "version"), [("sshd_T_debian12_hardened.txt", "9.2"), ("sshd_T_debian13_hardened.txt", "10.0")])
def test_evaluate_hardened_hosts_pass_everything(fixture, version):
    findings = evaluate_sshd_config(parse_sshd_t((FIXTURES / fixture).read_text()), version)
    failed = [f for f in findings if f["status"] == "fail"]
    assert failed == []
    assert _by_id(findings)["ssh.access_lists"]["status"] == "not_applicable"


def test_evaluate_policy_loosens_one_expectation_and_old_version_is_not_applicable():
    config = parse_sshd_t((FIXTURES / "sshd_T_debian12_hardened.txt").read_text())
    config["permitrootlogin"] = ["without-password"]
    config["kexalgorithms"] = ["curve25519-sha256"]
    strict = _by_id(evaluate_sshd_config(config, "9.2"))
    assert strict["ssh.permit_root_login"]["status"] == "fail"
    assert strict["ssh.kex.post_quantum"]["status"] == "fail"
    loose = _by_id(evaluate_sshd_config(config, "8.4", policy={"permit_root_login": ["no", "without-password"]}))
    assert loose["ssh.permit_root_login"]["status"] == "pass"
    assert loose["ssh.kex.post_quantum"]["status"] == "not_applicable"


def test_evaluate_classic_after_hybrid_fails_unless_policy_allows_it():
    config = parse_sshd_t((FIXTURES / "sshd_T_debian12_hardened.txt").read_text())
    config["kexalgorithms"] = ["sntrup761x25519-sha512@openssh.com,curve25519-sha256"]
    assert _by_id(evaluate_sshd_config(config, "9.2"))["ssh.kex.post_quantum"]["status"] == "fail"
    allowed = evaluate_sshd_config(config, "9.2", policy={"kex_classic_fallback": True})
    assert _by_id(allowed)["ssh.kex.post_quantum"]["status"] == "pass"


def test_parse_sshd_t_keeps_repeats():
    parsed = parse_sshd_t("AllowUsers a\nallowusers b\nport 22\n\n")
    assert parsed == {"allowusers": ["a", "b"], "port": ["22"]}
