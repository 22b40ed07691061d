from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.filter.ssh import FilterModule, ssh_algorithm_problems, ssh_algorithms


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"ssh_algorithms", "ssh_algorithm_problems"}


def test_ssh_algorithms_from_sshd_v_output():
    chosen = ssh_algorithms("OpenSSH_10.0p2 Debian-7, OpenSSL 3.5.1 1 Jul 2025")
    assert chosen["KexAlgorithms"][0] == "mlkem768x25519-sha256"
    assert set(chosen) == {"KexAlgorithms", "Ciphers", "MACs", "HostKeyAlgorithms", "PubkeyAcceptedAlgorithms",
                           "CASignatureAlgorithms"}


def test_ssh_algorithms_keyword_overrides_and_fallback():
    chosen = ssh_algorithms("9.2", classic_fallback=True, ciphers=["aes256-gcm@openssh.com"], macs=[])
    assert chosen["KexAlgorithms"][-1] == "curve25519-sha256@libssh.org"
    assert chosen["Ciphers"] == ["aes256-gcm@openssh.com"]
    assert chosen["MACs"]


def test_ssh_algorithms_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match=r"ssh_algorithms: .*needs OpenSSH 9\.9"):
        ssh_algorithms("9.2", kex=["mlkem768x25519-sha256"])
    with pytest.raises(AnsibleFilterError, match="cannot find an OpenSSH version"):
        ssh_algorithms("")


def test_ssh_algorithm_problems():
    assert ssh_algorithm_problems([], "macs") == []
    assert ssh_algorithm_problems(["hmac-sha1"], "macs", allow_weak=True) == []
    assert ssh_algorithm_problems(["hmac-sha1"], "macs") == ["'hmac-sha1' is weak (SHA-1, encrypt-and-MAC)"]
    with pytest.raises(AnsibleFilterError, match="unknown algorithm kind"):
        ssh_algorithm_problems(["x"], "mac")
