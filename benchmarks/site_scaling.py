# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the site playbook (ironclad.infra.site) on 1, 4 and 8 lab hosts.

For each host count this script starts that many fresh lab hosts (``icl-bench-<n>``, Debian 12 lab
image, created by ``lab/containers.yml`` on a network of their own, so the demo lab may run beside it),
applies the site playbook twice with forks >= 8 (a first converge, then a run that must change nothing)
and removes the hosts. Every host gets what every host of a fleet gets from the site playbook: OS and
SSH hardening, a certificate from the internal CA (kept in a fresh directory per host count) and the
firewall; the service plays find no hosts (their roles are proven by the ``platform`` scenario).

On the same hosts it then runs a yardstick with no ironclad.infra code in it (see write_baseline): the
least a role-based run that changes nothing can do per host. Its ratio is how Ansible itself scales on
this machine, which bounds what the site playbook can reach.

Prints a table of wall time, controller CPU and machine CPU (every process: controller, Docker, the
hosts) per host count and run, and the scaling check: the no-change run on 8 hosts must take less
than twice the 1-host no-change run. Figures are printed, never asserted; the exit code is 0 unless a
run failed or a second run changed something.

    .venv/bin/python benchmarks/site_scaling.py [--counts 1 4 8] [--forks 8] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

from _common import ROOT, ansible_env, cpu_seconds, machine_cpu_seconds, playbook, recap

NETWORK = {"lab_network": "ironclad-bench",
           "lab_ipam_config": [{"subnet": "172.31.214.0/24"}, {"subnet": "fd1c:1ad0:1ab1::/64"}]}
LAB_PLAYBOOK = os.path.join(ROOT, "lab", "containers.yml")


def write_inventory(workdir, count):
    """An inventory of `count` lab hosts, all web servers, with the lab's connection and CA settings."""
    inventory = {"all": {"children": {"lab": {
        "vars": {
            "ansible_connection": "community.docker.docker",
            "ansible_python_interpreter": "/usr/bin/python3",
            "lab_image": "ironclad-debian:12",
            "firewall_management_networks": [n["subnet"] for n in NETWORK["lab_ipam_config"]],
            "firewall_rollback_timeout": 30,
            "pki_ca_name": "bench",
            "pki_ca_dir": os.path.join(workdir, "ca"),
        },
        "children": {"webservers": {"hosts": {"icl-bench-%d" % i: {} for i in range(1, count + 1)}}},
    }}}}
    path = os.path.join(workdir, "hosts.yml")
    with open(path, "w") as handle:
        json.dump(inventory, handle, indent=1)  # JSON is YAML
    return path


def write_baseline(workdir):
    """The yardstick playbook: per host one fact gathering, 30 tasks that only template on the controller
    (what argument validation, OS variables and derived settings cost a role) and 4 shell probes with
    become (one per role of the site playbook, as the shell-probe shortcuts do). No module runs on the
    hosts besides setup, nothing of this collection is used."""
    tasks = [{"name": "Gather facts", "ansible.builtin.setup": {"gather_subset": ["min", "network", "virtual"]}}]
    derived = "{{ range(20) | map('string') | select('match', '^1') | join(',') }} {{ inventory_hostname }}"
    tasks += [{"name": "Derive setting %d" % i, "ansible.builtin.set_fact": {"baseline_%d" % i: derived}}
              for i in range(30)]
    tasks += [{"name": "Probe %d" % i, "changed_when": False,
               "ansible.builtin.raw": "cat /etc/os-release /etc/hostname; systemctl show ssh --property=ActiveState"}
              for i in range(4)]
    path = os.path.join(workdir, "baseline.yml")
    with open(path, "w") as handle:
        json.dump([{"name": "Baseline", "hosts": "all", "gather_facts": False, "become": True, "tasks": tasks}], handle)
    return path


def timed_run(inventory, env, path="ironclad.infra.site"):
    """Run a playbook; return (wall s, controller CPU s, machine CPU s, hosts with changes, hosts that failed)."""
    cpu, machine = cpu_seconds(), machine_cpu_seconds()
    elapsed, output = playbook(inventory, path, env)
    counters = recap(output)
    changed = sorted(h for h, c in counters.items() if c.get("changed"))
    failed = sorted(h for h, c in counters.items() if c.get("failed") or c.get("unreachable"))
    return elapsed, cpu_seconds() - cpu, machine_cpu_seconds() - machine, changed, failed


def bench(count, forks, keep):
    workdir = tempfile.mkdtemp(prefix="ironclad-site-scaling-%d-" % count)
    inventory = write_inventory(workdir, count)
    env = ansible_env(ANSIBLE_FORKS=forks)
    lab = ["-e", json.dumps(NETWORK)]
    playbook(inventory, LAB_PLAYBOOK, env, "-e", "lab_state=absent", *lab)  # leftovers of a broken run
    playbook(inventory, LAB_PLAYBOOK, env, "-e", "lab_state=present", *lab)
    try:
        first = timed_run(inventory, env)
        second = timed_run(inventory, env)
        baseline = timed_run(inventory, env, write_baseline(workdir))
    finally:
        if not keep:
            playbook(inventory, LAB_PLAYBOOK, env, "-e", "lab_state=absent", *lab)
            shutil.rmtree(workdir, ignore_errors=True)
    return first, second, baseline


def describe(run):
    """wall, controller CPU and machine CPU of one run, e.g. '31.2 s (29.5 / 58.0 CPU-s)'."""
    return "%6.1f s (%5.1f / %5.1f CPU-s)" % run[:3]


def ratio_line(label, walls):
    ratio = walls[8] / walls[1]
    return "  %s, 8 hosts / 1 host: %.2f (floor: < 2): %s" % (label, ratio, "met" if ratio < 2 else "NOT met")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--forks", type=int, default=8, help="at least the largest host count is used")
    parser.add_argument("--keep", action="store_true", help="keep the last hosts and work directory")
    args = parser.parse_args()
    forks = max([args.forks, *args.counts])
    print("site scaling: hosts %s, forks=%d, %d CPU cores, load %.1f"
          % (" / ".join(map(str, args.counts)), forks, os.cpu_count(), os.getloadavg()[0]))
    print("  wall (controller CPU / machine CPU: controller, Docker and the hosts)")
    print("  %5s  %-30s  %-30s  %-30s  %s" % ("hosts", "site, first run", "site, no-change run",
                                              "baseline (no ironclad code)", "second run changed"))
    site, baseline, broken = {}, {}, False
    for count in args.counts:
        first, second, yardstick = bench(count, forks, args.keep and count == args.counts[-1])
        site[count], baseline[count] = second[0], yardstick[0]
        failed = first[4] + second[4] + yardstick[4]
        broken |= bool(failed or second[3])
        print("  %5d  %-30s  %-30s  %-30s  %s%s"
              % (count, describe(first), describe(second), describe(yardstick), ", ".join(second[3]) or "nothing",
                 "  FAILED: " + ", ".join(failed) if failed else ""))
        sys.stdout.flush()
    if 1 in site and 8 in site:
        print(ratio_line("site no-change run", site))
        print(ratio_line("baseline (what Ansible itself reaches here)", baseline))
    if broken:
        raise SystemExit("a run failed or the second run changed something (see above)")


if __name__ == "__main__":
    main()
