"""OpenSSH certificates: plain-Python parsing, renewal decisions, signing, and the two backends."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import cert as s
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.cert_backend import SshCaBackend, SshCertificateBackend
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.spec import CA_ARGUMENT_SPEC, CERTIFICATE_ARGUMENT_SPEC
from conftest import FakeModule
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

NOW = 1_780_000_000


def public_line(key, comment="root@host"):
    line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return "%s %s" % (line, comment)


@pytest.fixture(scope="module")
def material():
    ca = s.generate_ca_key()
    host = ed25519.Ed25519PrivateKey.generate()
    host_line = public_line(host)
    cert = s.sign(ca, host_line, ["web1", "web1.lab", "10.0.0.5"], "host", 30, "web1/ed25519", now=NOW)
    return {"ca": ca, "ca_line": s.ca_public_line(ca, "ssh-ca"), "host": host, "host_line": host_line, "cert": cert}


def test_parse_certificate_reads_what_was_signed(material):
    info = s.parse_certificate(material["cert"])
    assert info["type"] == "host"
    assert info["principals"] == ["web1", "web1.lab", "10.0.0.5"]
    assert info["key_id"] == "web1/ed25519"
    assert info["valid_before"] - info["valid_after"] == 30 * 86400 + 300
    assert info["key_blob"] == s.public_key_blob(material["host_line"])
    assert info["ca_blob"] == s.public_key_blob(material["ca_line"])


def test_parse_ecdsa_certificate(material):
    key = ec.generate_private_key(ec.SECP256R1())
    line = public_line(key)
    info = s.parse_certificate(s.sign(material["ca"], line, ["a"], "host", 1, "a/ecdsa", now=NOW))
    assert info["key_type"] == "ecdsa-sha2-nistp256" and info["key_blob"] == s.public_key_blob(line)


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen not installed")
def test_openssh_accepts_the_certificate(material, tmp_path):
    path = tmp_path / "host-cert.pub"
    path.write_text(material["cert"] + "\n")
    out = subprocess.run(["ssh-keygen", "-L", "-f", str(path)], capture_output=True, text=True, check=True).stdout
    assert "host certificate" in out and "web1.lab" in out


def test_user_certificate_carries_the_usual_extensions(material):
    user = ed25519.Ed25519PrivateKey.generate()
    cert = s.sign(material["ca"], public_line(user), ["root"], "user", 1, "ops", now=NOW)
    assert s.parse_certificate(cert)["type"] == "user"


def test_renewal_reasons(material):
    args = (material["host_line"], ["web1", "web1.lab", "10.0.0.5"], [material["ca_line"]], 7)
    assert s.renewal_reasons(material["cert"], *args, now=NOW) == []
    assert s.renewal_reasons(None, *args, now=NOW) == ["no certificate yet"]
    inside = s.renewal_reasons(material["cert"], *args, now=NOW + 25 * 86400)
    assert len(inside) == 1 and "renewal window of 7 days" in inside[0]
    assert s.renewal_reasons(material["cert"], *args, now=NOW + 31 * 86400)[0].startswith("it expired on")
    changed = s.renewal_reasons(material["cert"], material["host_line"], ["web1"], [material["ca_line"]], 7, now=NOW)
    assert changed == ["the principals changed (add -; remove 10.0.0.5, web1.lab)"]
    other_ca = s.ca_public_line(s.generate_ca_key(), "other")
    assert s.renewal_reasons(material["cert"], args[0], args[1], [other_ca], 7, now=NOW)[0].startswith("the SSH CA changed")
    other_host = public_line(ed25519.Ed25519PrivateKey.generate())
    assert s.renewal_reasons(material["cert"], other_host, args[1], args[2], 7, now=NOW) == ["the certificate does not belong to the host key"]
    assert s.renewal_reasons("garbage", *args, now=NOW)[0].startswith("the certificate cannot be read")


def test_bad_lines_are_reported():
    with pytest.raises(s.SshCertError, match="not an OpenSSH line"):
        s.public_key_blob("nonsense")
    with pytest.raises(s.SshCertError, match="invalid base64"):
        s.public_key_blob("ssh-ed25519 !!!!")


def test_ca_key_passphrase(material):
    data = s.ca_private_bytes(material["ca"], "right")
    assert s.load_ca_key(data, "right").public_key() == material["ca"].public_key()
    with pytest.raises(s.SshCertError, match="the passphrase does not open"):
        s.load_ca_key(data, "wrong")
    with pytest.raises(s.SshCertError, match="encrypted but no passphrase"):
        s.load_ca_key(data, None)


def test_sign_refuses_empty_principals(material):
    with pytest.raises(s.SshCertError, match="no principals"):
        s.sign(material["ca"], material["host_line"], [], "host", 1, "x")


# --- backends --------------------------------------------------------------------------------------

def ca_run(path, requests=(), check_mode=False, passphrase=None):
    params = dict(path=str(path), passphrase=passphrase, comment="unit-ca", type="host", validity_days=365, requests=list(requests))
    return SshCaBackend(FakeModule(CA_ARGUMENT_SPEC, params, check_mode=check_mode)).run()


def host_run(ssh_dir, ca_keys, certificates=None, principals=("web1", "10.0.0.5"), check_mode=False, renew=30):
    params = dict(key_types=["ed25519"], principals=list(principals), ca_public_keys=ca_keys, renew_before_days=renew,
                  certificates=certificates, ssh_dir=str(ssh_dir), certificate_mode="0644")
    return SshCertificateBackend(FakeModule(CERTIFICATE_ARGUMENT_SPEC, params, check_mode=check_mode)).run()


@pytest.fixture
def ssh_dir(tmp_path):
    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "ssh").mkdir()
    (tmp_path / "ssh" / "ssh_host_ed25519_key.pub").write_text(public_line(key) + "\n")
    return tmp_path / "ssh"


def test_ssh_flow_signs_installs_then_changes_nothing(tmp_path, ssh_dir):
    ca = ca_run(tmp_path / "ca")
    assert ca["changed"] and os.stat(tmp_path / "ca" / "ssh_ca").st_mode & 0o777 == 0o600
    first = host_run(ssh_dir, [ca["public_key"]])
    assert first["sign_required"] and first["reasons"] == {"ed25519": ["no certificate yet"]}
    request = first["requests"][0]
    signed = ca_run(tmp_path / "ca", [{"name": "web1/ed25519", "public_key": request["public_key"], "principals": request["principals"]}])
    installed = host_run(ssh_dir, [ca["public_key"]], {"ed25519": signed["certificates"]["web1/ed25519"]})
    assert installed["changed"] and installed["certificates"]["ed25519"]["principals"] == ["web1", "10.0.0.5"]
    again = host_run(ssh_dir, [ca["public_key"]])
    assert again["changed"] is False and again["sign_required"] is False
    assert ca_run(tmp_path / "ca")["changed"] is False


def test_ssh_check_mode_writes_nothing(tmp_path, ssh_dir):
    result = ca_run(tmp_path / "ca", check_mode=True)
    assert result["changed"] and result["public_key"] is None and not (tmp_path / "ca").exists()
    host = host_run(ssh_dir, [], check_mode=True)
    assert host["reasons"] == {"ed25519": ["the SSH CA does not exist yet"]}
    assert sorted(os.listdir(ssh_dir)) == ["ssh_host_ed25519_key.pub"]


def test_ssh_ca_wrong_passphrase_signs_nothing(tmp_path, ssh_dir):
    ca_run(tmp_path / "ca", passphrase="right")
    line = (ssh_dir / "ssh_host_ed25519_key.pub").read_text()
    with pytest.raises(s.SshCertError, match="does not open"):
        ca_run(tmp_path / "ca", [{"name": "a", "public_key": line, "principals": ["a"]}], passphrase="wrong")


def test_a_certificate_for_another_key_is_refused(tmp_path, ssh_dir):
    ca = ca_run(tmp_path / "ca")
    other = public_line(ed25519.Ed25519PrivateKey.generate())
    signed = ca_run(tmp_path / "ca", [{"name": "x", "public_key": other, "principals": ["web1"]}])
    with pytest.raises(s.SshCertError, match="does not belong to"):
        host_run(ssh_dir, [ca["public_key"]], {"ed25519": signed["certificates"]["x"]})


def test_missing_host_key_is_explained(tmp_path):
    with pytest.raises(s.SshCertError, match="ssh-keygen -A"):
        host_run(tmp_path, ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ca"])
