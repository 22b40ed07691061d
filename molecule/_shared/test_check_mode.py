"""Check mode on the converged hosts: converge.yml with --check --diff succeeds and reports no change.

Every scenario's verifier runs this file too (``verifier.additional_files_or_dirs`` in
.config/molecule/config.yml; scenarios whose converge is not a configuration, such as bad_input, turn
it off). The shared sequence ran check mode on the fresh hosts before converge (it must not fail
there); this is the other half. Molecule sorts it before the scenario's own tests, so it runs while
the hosts are as converge and the idempotence run left them.
"""

from __future__ import annotations

from playbook_runs import assert_check_mode_changes_nothing, scenario_hosts


def test_check_mode_on_the_converged_hosts_reports_no_change():
    assert_check_mode_changes_nothing(scenario_hosts())
