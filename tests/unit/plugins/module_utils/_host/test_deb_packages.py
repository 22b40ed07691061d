from __future__ import annotations

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._host.deb_packages import DebPackagesError, parse_status, plan, probe_command, unchanged_result
from ansible_collections.ironclad.infra.plugins.module_utils._host.deb_packages_backend import DebPackagesBackend
from conftest import FakeModule

STATUS = """Package: aide
Status: install ok installed
Architecture: amd64

Package: telnet
Status: install ok installed

Package: nis
Status: deinstall ok config-files

Package: libc6
Status: install ok installed
Architecture: amd64
"""


def apt_module(check_mode=False, **params):
    return FakeModule("deb_packages", params, check_mode=check_mode)


def run(module, status=STATUS, age=10):
    return DebPackagesBackend(module, DifferenceTracker(), read=lambda _p: status, age=lambda: age).run()


def test_parse_status_states():
    assert parse_status(STATUS) == {"aide": "installed", "telnet": "installed", "nis": "config-files", "libc6": "installed"}


def test_plan_installs_missing_and_purges_installed_or_leftover():
    assert plan(parse_status(STATUS), ["aide", "fail2ban"], ["telnet", "nis", "rsh-client"]) == (["fail2ban"], ["nis", "telnet"])


def test_nothing_to_do_runs_no_command():
    module = apt_module(present=["aide", "libc6"], absent=["rsh-client"])
    result = run(module)
    assert result["changed"] is False and module.commands == []


def test_install_and_purge_in_one_command_each_without_update_when_lists_are_fresh():
    module = apt_module(present=["aide", "fail2ban", "chkrootkit"], absent=["telnet"])
    result = run(module, age=60)
    verbs = [c[c.index("-o") + 2] for c in module.commands]
    assert verbs == ["install", "purge"]
    assert module.commands[0][-3:] == ["--", "chkrootkit", "fail2ban"]
    assert "--no-install-recommends" in module.commands[0]
    assert result["installed"] == ["chkrootkit", "fail2ban"] and result["purged"] == ["telnet"]
    assert result["cache_updated"] is False


@pytest.mark.parametrize("age, forced", [(None, False), (7200, False), (10, True)])
def test_update_when_lists_are_missing_old_or_forced(age, forced):
    module = apt_module(present=["fail2ban"], update_cache=forced)
    result = run(module, age=age)
    assert result["cache_updated"] is True
    assert module.commands[0][-1] == "update"


def test_check_mode_reports_only():
    module = apt_module(check_mode=True, present=["fail2ban"], absent=["telnet"])
    result = run(module, age=None)
    assert result["changed"] is True and module.commands == []
    assert result["actions"] == ["install fail2ban", "purge telnet", "apt-get update"]


@pytest.mark.parametrize("params, message", [
    ({"present": ["Bad Name"]}, "present: 'Bad Name' is not a Debian package name"),
    ({"present": ["aide"], "absent": ["aide"]}, "both wanted and unwanted: aide"),
])
def test_bad_input(params, message):
    with pytest.raises(DebPackagesError, match=message):
        run(apt_module(**params))


def test_apt_failure_is_reported():
    module = apt_module(present=["fail2ban"])
    module.run_command = lambda argv, environ_update=None: (100, "", "E: Unable to locate package fail2ban")
    with pytest.raises(DebPackagesError, match="Unable to locate package"):
        run(module)


# --- shortcut of the action plugin: one dpkg-query decides whether the module must run ---------------

PARAMS = {"present": ["aide"], "absent": ["telnet"], "purge": True, "install_recommends": False,
          "update_cache": False, "cache_valid_time": 3600, "lock_timeout": 300}
PROBED = "Package: aide\nStatus: install ok installed\n\n"


def test_probe_command_names_every_package_and_quotes_the_format():
    command = probe_command(dict(PARAMS, absent=["telnet", "rsh-client"]))
    assert command.startswith("dpkg-query -W -f='Package: ${Package}\\nStatus: ${Status}\\n\\n' -- aide telnet rsh-client")
    assert command.endswith("; true")


def test_probe_command_is_none_when_the_module_must_run_anyway():
    assert probe_command(dict(PARAMS, update_cache=True)) is None
    assert probe_command(dict(PARAMS, present=[], absent=[])) is None
    with pytest.raises(DebPackagesError, match="not a Debian package name"):
        probe_command(dict(PARAMS, present=["aide; rm -rf /"]))


@pytest.mark.parametrize("probed, unchanged", [
    (PROBED, True),
    ("", False),  # aide missing
    (PROBED + "Package: telnet\nStatus: install ok installed\n\n", False),  # telnet must go
    (PROBED + "Package: telnet\nStatus: deinstall ok config-files\n\n", False),  # its leftovers too
    (PROBED + "Package: telnet\nStatus: purge ok not-installed\n\n", True),
    ("Package: aide\nStatus: install ok half-configured\n\n", False),
])
def test_unchanged_result_agrees_with_the_module_plan(probed, unchanged):
    result = unchanged_result(PARAMS, probed)
    if unchanged:
        assert result == {"changed": False, "installed": [], "purged": [], "cache_updated": False, "actions": []}
        module = apt_module(**PARAMS)
        module_result = DebPackagesBackend(module, DifferenceTracker(), read=lambda path: probed, age=lambda: 0).run()
        assert module_result == result
    else:
        assert result is None
