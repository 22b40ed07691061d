"""Bad input for every role, on one fresh host: each case of vars/cases.yml fails before the role's first
change, with a message that names the variable and says what is allowed, and the host stays as it was.

All cases run in ONE ansible-playbook run (one play per case, so each case has its own play variables;
block/rescue keeps the host in the run after a refusal). Each play ends by listing every file under
/etc, /usr and /var/lib changed since the run started (dpkg's status included): that list must stay
empty after every case. The run uses the json callback, so each task's result is read as data.
"""

from __future__ import annotations

import json
import os

import pytest
import testinfra
import yaml
from playbook_runs import ansible_playbook
from testinfra.utils.ansible_runner import AnsibleRunner

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
HOST_NAME = sorted(RUNNER.get_hosts("bad_input"))[0]
MARKER = "/run/ironclad-bad-input.marker"
# What changed since the marker: files and directories of the package database and the configuration.
CHANGED_FILES = "find /etc /usr /var/lib -xdev -newer %s -print" % MARKER
ACCEPTED = "The role accepted the wrong value"

with open(os.path.join(SCENARIO_DIR, "vars", "cases.yml"), encoding="utf-8") as handle:
    ROLES = yaml.safe_load(handle)
CASES = [(role, case) for role, spec in ROLES.items() for case in spec["cases"]]


def _title(role, case):
    return "bad input | %s | %s" % (role, case["id"])


def _playbook():
    plays = []
    for role, case in CASES:
        plays.append({
            "name": _title(role, case),
            "hosts": "bad_input",
            "gather_facts": False,
            "vars": dict(ROLES[role].get("vars") or {}, **case["vars"]),
            "tasks": [{
                "name": "Apply the role with the wrong value",
                "block": [
                    {"name": "Apply the role", "ansible.builtin.include_role": {"name": "ironclad.infra.%s" % role}},
                    {"name": ACCEPTED, "ansible.builtin.fail": {"msg": "no error for %s" % case["expect"]}},
                ],
                "rescue": [{"name": "Note the refusal", "ansible.builtin.debug": {"msg": "refused"}}],
                "always": [{
                    "name": "List what changed on the host since the run started",
                    "ansible.builtin.command": CHANGED_FILES,
                    "changed_when": False,
                }],
            }],
        })
    return plays


def _results(play):
    """(task name, result) of every task of a play on the host, in order."""
    for task in play["tasks"]:
        result = task["hosts"].get(HOST_NAME)
        if result is not None:
            yield task["task"]["name"], result


def _host():
    return testinfra.get_host("docker://" + HOST_NAME)


def _package_state(host):
    return host.check_output("dpkg-query -W -f='${Package} ${Version} ${db:Status-Status}\\n' | sha256sum")


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory):
    """Run every case once; return the plays by title, the recap counters and the host's state before and after."""
    host = _host()
    host.check_output("touch %s && sleep 1" % MARKER)
    before = _package_state(host)
    path = tmp_path_factory.mktemp("bad_input") / "cases.yml"
    path.write_text(yaml.safe_dump(_playbook(), sort_keys=False), encoding="utf-8")
    run = ansible_playbook(str(path), callback="ansible.builtin.json", timeout=1800)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    document = json.loads(run.stdout)
    plays = {play["play"]["name"]: play for play in document["plays"]}
    return {"plays": plays, "stats": document["stats"], "before": before, "after": _package_state(host),
            "changed_files": host.check_output(CHANGED_FILES)}


def test_every_role_has_at_least_five_wrong_values():
    counts = {role: len(spec["cases"]) for role, spec in ROLES.items()}
    assert set(counts) == {"os_hardening", "ssh_hardening", "firewall", "pki", "docker", "rabbitmq", "haproxy"}
    assert min(counts.values()) >= 5, counts


@pytest.mark.parametrize("role, case", CASES, ids=["%s: %s" % (role, case["id"]) for role, case in CASES])
def test_wrong_value_fails_before_any_change_and_names_the_variable(bad_input_run, role, case):
    play = bad_input_run["plays"][_title(role, case)]
    results = list(_results(play))
    failed = [(name, result) for name, result in results if result.get("failed")]
    assert failed, "the role did not fail: %s" % [name for name, _result in results]
    name, result = failed[0]
    assert name != ACCEPTED, "the role accepted %s" % case["vars"]
    message = str(result.get("msg", ""))
    for text in [case["expect"], *(case.get("also") or [])]:
        assert text in message, "%r not in the message of task %r: %s" % (text, name, message)
    assert "Finalization of task args" not in message and "CapturedExceptionMarker" not in message, message
    assert [name for name, result in results if result.get("changed")] == []
    listing = [result["stdout"] for name, result in results if name == "List what changed on the host since the run started"]
    assert listing == [""], "files changed since the run started: %s" % listing


def test_the_host_is_as_it_was_after_all_cases(bad_input_run):
    stats = bad_input_run["stats"][HOST_NAME]
    assert stats["changed"] == 0 and stats["rescued"] == len(CASES), stats
    assert bad_input_run["after"] == bad_input_run["before"]
    assert bad_input_run["changed_files"] == ""
