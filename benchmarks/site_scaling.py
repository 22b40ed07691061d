# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the site playbook (ironclad.infra.site) on 1, 4 and 8 lab hosts.

For each host count this script starts that many fresh lab hosts (``icl-bench-<n>``, Debian 12 lab
image, created by ``scripts/lab.yml`` on a network of their own, so the demo lab may run beside it),
applies the site playbook twice with forks >= 8 (a first converge, then a run that must change nothing)
and removes the hosts. Every host gets what every host of a fleet gets from the site playbook: OS and
SSH hardening, a certificate from the internal CA (kept in a fresh directory per host count) and the
firewall; the service plays find no hosts (their roles are proven by the ``platform`` scenario).

Prints a table of wall time and controller CPU per host count and run, and the check of issue 9: the
no-change run on 8 hosts must take less than twice the 1-host no-change run. Figures are printed,
never asserted; the exit code is 0 unless a run failed or a second run changed something.

    .venv/bin/python benchmarks/site_scaling.py [--counts 1 4 8] [--forks 8] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile

from _common import ROOT, ansible_env, playbook, recap

NETWORK = {"lab_network": "ironclad-bench",
           "lab_ipam_config": [{"subnet": "172.31.214.0/24"}, {"subnet": "fd1c:1ad0:1ab1::/64"}]}
LAB_PLAYBOOK = os.path.join(ROOT, "scripts", "lab.yml")


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


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_site(inventory, env):
    """Run the site playbook; return (wall s, controller CPU s, hosts with changes, hosts that failed)."""
    cpu = cpu_seconds()
    elapsed, output = playbook(inventory, "ironclad.infra.site", env)
    counters = recap(output)
    changed = sorted(h for h, c in counters.items() if c.get("changed"))
    failed = sorted(h for h, c in counters.items() if c.get("failed") or c.get("unreachable"))
    return elapsed, cpu_seconds() - cpu, changed, failed


def bench(count, forks, keep):
    workdir = tempfile.mkdtemp(prefix="ironclad-site-scaling-%d-" % count)
    inventory = write_inventory(workdir, count)
    env = ansible_env(ANSIBLE_FORKS=forks)
    lab = ["-e", json.dumps(NETWORK)]
    playbook(inventory, LAB_PLAYBOOK, env, "-e", "lab_state=absent", *lab)  # leftovers of a broken run
    playbook(inventory, LAB_PLAYBOOK, env, "-e", "lab_state=present", *lab)
    try:
        first = timed_site(inventory, env)
        second = timed_site(inventory, env)
    finally:
        if not keep:
            playbook(inventory, LAB_PLAYBOOK, env, "-e", "lab_state=absent", *lab)
            shutil.rmtree(workdir, ignore_errors=True)
    return first, second


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--forks", type=int, default=8, help="at least the largest host count is used")
    parser.add_argument("--keep", action="store_true", help="keep the last hosts and work directory")
    args = parser.parse_args()
    forks = max([args.forks, *args.counts])
    print("site scaling: hosts %s, forks=%d, %d CPU cores, load %.1f"
          % (" / ".join(map(str, args.counts)), forks, os.cpu_count(), os.getloadavg()[0]))
    print("  %5s  %22s  %22s  %s" % ("hosts", "first run", "no-change run", "second run changed"))
    results, broken = {}, False
    for count in args.counts:
        first, second = bench(count, forks, args.keep and count == args.counts[-1])
        results[count] = second[0]
        broken |= bool(first[3] or second[3] or second[2])
        print("  %5d  %7.1f s (%5.1f CPU-s)  %7.1f s (%5.1f CPU-s)  %s%s"
              % (count, first[0], first[1], second[0], second[1], ", ".join(second[2]) or "nothing",
                 "  FAILED: " + ", ".join(first[3] + second[3]) if first[3] or second[3] else ""))
        sys.stdout.flush()
    if 1 in results and 8 in results:
        ratio = results[8] / results[1]
        print("  no-change run, 8 hosts / 1 host: %.2f (floor: < 2): %s" % (ratio, "met" if ratio < 2 else "NOT met"))
    if broken:
        raise SystemExit("a run failed or the second run changed something (see above)")


if __name__ == "__main__":
    main()
