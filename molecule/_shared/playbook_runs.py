"""Playbook runs from the Molecule tests: run ansible-playbook against the scenario's lab, read its output.

Shared by the testinfra tests of every scenario (``from playbook_runs import ansible_playbook, recap``,
``assert_check_mode_changes_nothing``);
molecule/conftest.py puts this folder on ``sys.path``. The functions read the scenario from the
environment that Molecule's verifier gives pytest (``MOLECULE_INVENTORY_FILE``,
``MOLECULE_SCENARIO_DIRECTORY``, and ``ANSIBLE_CONFIG``, the scenario's generated ansible.cfg).
"""

from __future__ import annotations

import os
import re
import subprocess

# One line of PLAY RECAP: "ict-docker-d12   : ok=12 changed=0 unreachable=0 failed=0 ...".
_RECAP_LINE = re.compile(r"^(\S+)\s+:\s+(ok=\d+.*)$")


def ansible_playbook(*args, callback=None, timeout=600):
    """Run ``ansible-playbook -i <scenario inventory> *args`` in the scenario directory; never raise on failure.

    ``args`` are the playbook (a path relative to the scenario directory, e.g. ``"converge.yml"``, or an
    absolute one) and any options (``"--check"``, ``"-e", "name=value"``). The inventory is the
    directory of Molecule's inventory file, so its group_vars and host_vars apply as in converge. Color
    is off, so the output can be matched as plain text.

    ``callback`` names a stdout callback (e.g. ``"ansible.builtin.json"``). The run then also goes
    without Molecule's ansible.cfg (``ANSIBLE_CONFIG`` is dropped): that file enables profile_tasks,
    whose timing lines would follow the callback's document, so stdout holds only that document.

    ``timeout`` is in seconds (``None``: no limit); past it, ``subprocess.TimeoutExpired`` is raised.
    Returns the ``subprocess.CompletedProcess`` with ``returncode``, ``stdout`` and ``stderr`` as text.
    """
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    if callback:
        env.pop("ANSIBLE_CONFIG", None)
        env["ANSIBLE_STDOUT_CALLBACK"] = callback
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    command = ["ansible-playbook", "-i", inventory, *args]
    return subprocess.run(command, cwd=os.environ["MOLECULE_SCENARIO_DIRECTORY"], env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def recap(output):
    """The PLAY RECAP counters per host of a run's output: ``{"host": {"ok": 3, "changed": 0, ...}}``.

    Only the lines of the recap itself count (host, colon, ``ok=N ...``): the task timings that
    profile_tasks prints after it are not hosts. Output without a PLAY RECAP gives ``{}``.
    """
    hosts = {}
    if "PLAY RECAP" not in output:
        return hosts
    for line in output.split("PLAY RECAP", 1)[1].splitlines():
        match = _RECAP_LINE.match(line.strip())
        if match:
            hosts[match.group(1)] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return hosts


def changed_tasks(output):
    """The tasks of a run that reported a change, each with the host: ``["TASK [x] ict-docker-d12", ...]``.

    Read from the default stdout callback's ``TASK [...]`` headers and the ``changed: [host]`` lines
    under them (one entry per such line).
    """
    found, task = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line.split("]", 1)[0] + "]"
        elif line.startswith("changed: [") and task:
            found.append("%s %s" % (task, line.split("[", 1)[1].split("]", 1)[0]))
    return found


def scenario_hosts():
    """The scenario's hosts (every platform of molecule.yml; localhost is not one)."""
    from testinfra.utils.ansible_runner import AnsibleRunner

    return sorted(AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all"))


def assert_check_mode_changes_nothing(hosts, playbook="converge.yml", *args, timeout=900):
    """On converged hosts, ``playbook`` in check mode with diff must succeed and report no change.

    The scenarios' shared sequence runs check mode on the fresh hosts (it must not fail there); this is
    the other half, run from a scenario's verify: an honest ``--check --diff`` on a converged host
    reports nothing to change. ``hosts`` must all appear in the recap.
    """
    run = ansible_playbook(playbook, "--check", "--diff", *args, timeout=timeout)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    counters = recap(output)
    assert set(hosts) <= set(counters), (sorted(hosts), sorted(counters), output[-3000:])
    first_change = output.find("\nchanged: [")
    assert changed_tasks(output) == [], output[max(0, first_change - 2500):first_change + 200]
    assert {name: c["changed"] for name, c in counters.items() if c.get("changed")} == {}, output[-3000:]
