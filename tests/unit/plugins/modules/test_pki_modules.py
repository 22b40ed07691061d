"""The PKI modules (x509_*, ssh_*) end to end through AnsibleModule: their specs (now in module_utils)
against their DOCUMENTATION, the missing-library path and their own parameter checks."""

from __future__ import annotations

import json
import os

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.ironclad.infra.plugins.module_utils._pki import spec
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import spec as ssh_spec
from ansible_collections.ironclad.infra.plugins.modules import ssh_ca, ssh_certificate, x509_ca, x509_certificate, x509_sign

MODULE_SPECS = [
    (x509_ca, spec.CA_ARGUMENT_SPEC),
    (x509_sign, spec.SIGN_ARGUMENT_SPEC),
    (x509_certificate, spec.CERTIFICATE_ARGUMENT_SPEC),
    (ssh_ca, ssh_spec.CA_ARGUMENT_SPEC),
    (ssh_certificate, ssh_spec.CERTIFICATE_ARGUMENT_SPEC),
]
MISSING = ImportError("No module named 'cryptography'")


def run(module, capsys, args, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        module.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def assert_options_match(doc_options, spec_options, where):
    assert set(doc_options) == set(spec_options), where
    for name, option in spec_options.items():
        documented = doc_options[name]
        assert documented["type"] == option["type"], (where, name)
        assert documented.get("default") == option.get("default"), (where, name)
        assert documented.get("choices") == option.get("choices"), (where, name)
        assert documented.get("required", False) == option.get("required", False), (where, name)
        if "options" in option:
            assert_options_match(documented["suboptions"], option["options"], "%s.%s" % (where, name))


@pytest.mark.parametrize(("module", "argument_spec"), MODULE_SPECS, ids=lambda m: getattr(m, "__name__", "spec").rsplit(".", 1)[-1])
def test_documentation_matches_the_spec_in_module_utils(module, argument_spec, module_documentation):
    # as ansible-doc shows it: the shared X.509 options come from the doc fragment ironclad.infra._x509
    doc = module_documentation[yaml.safe_load(module.DOCUMENTATION)["module"]]
    assert_options_match(doc["options"], argument_spec, doc["module"])


def test_passphrases_stay_out_of_logs():
    for argument_spec in (spec.CA_ARGUMENT_SPEC, spec.SIGN_ARGUMENT_SPEC, ssh_spec.CA_ARGUMENT_SPEC):
        assert argument_spec["passphrase"]["no_log"] is True
    assert spec.CERTIFICATE_ARGUMENT_SPEC["pkcs12_passphrase"]["no_log"] is True


@pytest.mark.parametrize("module", [x509_ca, x509_sign], ids=["x509_ca", "x509_sign"])
def test_missing_cryptography_fails_with_the_install_hint(module, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(module, "REQUIRED_LIBRARY", ("cryptography (Debian: python3-cryptography)", MISSING))
    args = {"path": str(tmp_path / "ca")} if module is x509_ca else {"ca_path": str(tmp_path / "ca")}
    rc, result = run(module, capsys, args)
    assert rc == 1
    assert result["msg"].startswith("Failed to import the required Python library (cryptography (Debian: python3-cryptography))")
    assert not os.path.exists(tmp_path / "ca")


def certificate_args(tmp_path):
    return {"privatekey_path": str(tmp_path / "host.key"), "certificate_path": str(tmp_path / "host.crt"),
            "subject_alt_names": ["web1.lab"], "ca_chain": []}


def test_certificate_check_mode_without_cryptography_reports_the_real_run(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(x509_certificate, "CRYPTOGRAPHY_IMPORT_ERROR", MISSING)
    monkeypatch.setattr(x509_certificate, "REQUIRED_LIBRARY", ("cryptography (Debian: python3-cryptography)", MISSING))
    rc, result = run(x509_certificate, capsys, certificate_args(tmp_path), check_mode=True)
    assert rc == 0
    assert result["changed"] is True and result["issue_required"] is True
    assert result["subject_alt_names"] == ["web1.lab"] and result["csr"] is None
    assert "python3-cryptography is not installed yet" in result["reasons"][0]

    rc, result = run(x509_certificate, capsys, certificate_args(tmp_path))
    assert rc == 1 and "Failed to import the required Python library" in result["msg"]


def test_ca_check_mode_writes_nothing(capsys, tmp_path):
    rc, result = run(x509_ca, capsys, {"path": str(tmp_path / "ca"), "passphrase": "ca-secret-pw"}, check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert not os.path.exists(tmp_path / "ca")
    assert "ca-secret-pw" not in json.dumps(result)


def test_sign_error_fails_with_the_backend_message(capsys, tmp_path):
    requests = [{"name": "web1", "csr": "not a CSR"}]
    rc, result = run(x509_sign, capsys, {"ca_path": str(tmp_path / "missing"), "requests": requests})
    assert rc == 1 and result["failed"] is True
    assert result["msg"]


def test_ssh_certificate_needs_a_ca_key_outside_check_mode(capsys, tmp_path):
    args = {"principals": ["web1"], "ca_public_keys": [], "ssh_dir": str(tmp_path)}
    rc, result = run(ssh_certificate, capsys, args)
    assert rc == 1
    assert result["msg"] == "ca_public_keys is empty; pass the public_key returned by ironclad.infra.ssh_ca"
    # Check mode goes on to the back end, whose own error (no host key in ssh_dir) is the message.
    rc, result = run(ssh_certificate, capsys, args, check_mode=True)
    assert rc == 1 and result["msg"].startswith("the host key %s/ssh_host_ed25519_k" % tmp_path)
