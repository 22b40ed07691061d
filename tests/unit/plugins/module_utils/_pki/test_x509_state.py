"""The converged-state record and the shortcut decision of the x509_certificate action plugin.

The probe command is run for real in a local shell (sha256sum and stat from coreutils), on files made by
the real backend, so the record, the probe and the decision are tested together.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._pki import state
from test_x509_backend import cert_params, issue, run_ca, run_cert


def probe(params):
    out = subprocess.run(["sh", "-c", state.probe_command(params)], capture_output=True, text=True, check=True).stdout
    return state.parse_probe(out)


@pytest.fixture
def converged(tmp_path):
    chain = run_ca(tmp_path / "ca")["chain"]
    host = tmp_path / "host"
    issue(host, tmp_path / "ca", chain)
    return host, chain


def test_a_converged_host_needs_no_module(converged):
    host, chain = converged
    params = cert_params(host, chain)
    assert state.unchanged(params, *probe(params), int(time.time())) == (True, None)


def test_without_a_record_the_module_runs(tmp_path):
    params = cert_params(tmp_path / "nothing", [])
    assert state.unchanged(params, *probe(params), int(time.time())) == (False, "no state record")


@pytest.mark.parametrize("change,why", [
    (lambda host: (host / "fullchain.crt").write_text("tampered"), "fullchain.crt changed"),
    (lambda host: os.chmod(host / "host.key", 0o640), "the mode or owner of"),
    (lambda host: os.unlink(host / "host.p12"), "host.p12 changed"),
])
def test_any_drift_sends_the_run_to_the_module(converged, change, why):
    host, chain = converged
    params = cert_params(host, chain)
    change(host)
    same, reason = state.unchanged(params, *probe(params), int(time.time()))
    assert same is False and why in reason


def test_parameter_changes_send_the_run_to_the_module(converged):
    host, chain = converged
    for params in (cert_params(host, chain, sans=("web1.lab",)), cert_params(host, chain, pkcs12_passphrase="new")):
        assert state.unchanged(params, *probe(params), int(time.time())) == (False, "the parameters changed")


def test_renewal_window_and_ca_expiry_send_the_run_to_the_module(converged):
    host, chain = converged
    params = cert_params(host, chain)
    record, sums, stats = probe(params)
    in_a_year = int(time.time()) + 340 * 86400
    assert state.unchanged(params, record, sums, stats, in_a_year) == (False, "the certificate is inside its renewal window")
    record["ca_not_after"] = int(time.time()) - 1
    assert state.unchanged(params, record, sums, stats, int(time.time())) == (False, "the CA expired")


def test_the_module_drops_the_record_while_a_certificate_is_due(converged):
    host, chain = converged
    result = run_cert(cert_params(host, chain, renew_before_days=400))[0]
    assert result["issue_required"]
    assert not os.path.exists(state.state_path(cert_params(host, chain)))


def test_parse_probe_tolerates_garbage():
    assert state.parse_probe("nonsense") == (None, {}, {})
    record, _sums, _stats = state.parse_probe("{broken%s\n%s\n" % (state.SEPARATOR, state.SEPARATOR))
    assert record is None


def test_unchanged_result_is_the_module_no_change_answer(converged):
    host, chain = converged
    params = cert_params(host, chain)
    out = subprocess.run(["sh", "-c", state.probe_command(params)], capture_output=True, text=True, check=True).stdout
    now = int(time.time())
    result = state.unchanged_result(params, out, now)
    assert result["changed"] is False and result["issue_required"] is False and result["csr"] is None
    assert 360 <= result["certificate"]["days_until_expiry"] <= 366
    assert state.unchanged_result(params, out, now + 400 * 86400) is None  # inside the renewal window by then
    assert state.unchanged_result(params, "garbage", now) is None
