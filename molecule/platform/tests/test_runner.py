"""The site playbook run through ansible-runner, the engine AWX / Automation Controller jobs run on.

It runs ironclad.infra.site (by FQCN, as a job template would name it from the installed collection)
against this scenario's inventory on the converged platform, with a private data directory of its own,
and checks what AWX shows of a job: its status and return code, the per-host statistics, and the job
events written to the artifacts directory. After converge and the idempotence run, this is the third
run: it must change nothing.
"""

from __future__ import annotations

import glob
import json
import os

import ansible_runner
import pytest
from testinfra.utils.ansible_runner import AnsibleRunner

INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
HOSTS = sorted(AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all"))
IDENT = "platform-site"
# What an AWX project would carry in its ansible.cfg; Molecule's own (ANSIBLE_CONFIG) is not used.
ANSIBLE_CFG = """\
[defaults]
forks = 10
interpreter_python = auto_silent
[ssh_connection]
pipelining = True
"""


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    private_data_dir = tmp_path_factory.mktemp("runner")
    (private_data_dir / "project").mkdir()
    (private_data_dir / "project" / "ansible.cfg").write_text(ANSIBLE_CFG, encoding="utf-8")
    # ANSIBLE_COLLECTIONS_PATH (scripts/env.sh) resolves ironclad.infra as an installed collection would
    # in an execution environment. The rest is inherited (ansible-runner copies os.environ), among it
    # MOLECULE_EPHEMERAL_DIRECTORY, where the scenario's CA lives (pki_ca_dir in the inventory).
    collections_path = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    assert collections_path, "ANSIBLE_COLLECTIONS_PATH is not set: run through scripts/molecule.sh (scripts/env.sh)"
    result = ansible_runner.run(
        private_data_dir=str(private_data_dir),
        playbook="ironclad.infra.site",
        inventory=INVENTORY_DIR,
        ident=IDENT,
        envvars={
            "ANSIBLE_CONFIG": str(private_data_dir / "project" / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": collections_path,
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
        },
        quiet=True,
        timeout=900,
    )
    return result, private_data_dir / "artifacts" / IDENT


def stdout_tail(result):
    with open(result.stdout.name, encoding="utf-8", errors="replace") as handle:
        return handle.read()[-4000:]


def test_the_job_succeeds(job):
    result, _artifacts = job
    assert (result.status, result.rc) == ("successful", 0), stdout_tail(result)


def test_every_host_is_ok_and_none_failed_unreachable_or_changed(job):
    result, _artifacts = job
    stats = result.stats
    assert sorted(stats["ok"]) == HOSTS, stats
    assert all(stats["ok"][name] > 0 for name in HOSTS), stats
    assert stats["failures"] == {}, stats
    assert stats["dark"] == {}, stats
    # The third run of the same playbook on the same inventory: nothing to do.
    changed_tasks = ["%s: %s" % (event["event_data"]["host"], event["event_data"]["task"]) for event in result.events
                     if event["event"] == "runner_on_ok" and event["event_data"]["res"].get("changed")]
    assert {name: count for name, count in stats["changed"].items() if count} == {}, changed_tasks


def test_the_artifacts_hold_the_job_events(job):
    _result, artifacts = job
    events = []
    for path in glob.glob(str(artifacts / "job_events" / "*.json")):
        with open(path, encoding="utf-8") as handle:
            events.append(json.load(handle))
    kinds = [event["event"] for event in events]
    assert kinds.count("playbook_on_stats") == 1, sorted(set(kinds))
    assert kinds.count("playbook_on_start") == 1, sorted(set(kinds))
    ok_hosts = {event["event_data"]["host"] for event in events if event["event"] == "runner_on_ok"}
    assert sorted(ok_hosts & set(HOSTS)) == HOSTS, sorted(ok_hosts)
    assert not [event for event in events if event["event"] in ("runner_on_failed", "runner_on_unreachable")
                and not event["event_data"].get("ignore_errors")]
    stats = next(event for event in events if event["event"] == "playbook_on_stats")["event_data"]
    assert sorted(stats["ok"]) == HOSTS
    assert (artifacts / "rc").read_text(encoding="utf-8").strip() == "0"
    assert (artifacts / "status").read_text(encoding="utf-8").strip() == "successful"
