# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: 1,000 iptables rules with ironclad.infra.iptables_ruleset vs. ansible.builtin.iptables.

On one lab container (``ironclad-debian:<release>``, lab host options of
``molecule/_shared/platform_defaults.yml``, name ``ict-bench-iptables``), over the docker connection
with pipelining:

1. ``iptables_ruleset`` applies N rules (default 1,000, both families: IPv4 and IPv6 rules mixed) in one
   task on an empty ruleset: first apply;
2. the same task again: no-change re-run (must report ``changed=false``), next to an
   ``ansible.builtin.ping`` task on the same connection (Ansible's own cost of one task);
3. ``ansible.builtin.iptables`` in a loop adds M rules (default 100: the loop is far too slow for 1,000;
   M is printed) to a flushed ruleset, then the same loop again (no change).

Task times come from the ``ansible.posix.json`` callback (start/end of the task on the host), so the
playbook's start-up is not counted on either side. Per-rule speedup = (builtin seconds / M) /
(module seconds / N). Floors: first apply <= 3 s, re-run <= 2 s, speedup >= 100x.
Figures are printed, never asserted; the exit code is 0 unless a step broke.

    .venv/bin/python benchmarks/iptables_ruleset.py [--rules 1000] [--builtin-rules 100] [--release 12] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTAINER = "ict-bench-iptables"
FLOORS = {"first": 3.0, "rerun": 2.0, "speedup": 100.0}


def sh(argv, check=True, timeout=3600, env=None):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("%s failed (rc %d):\n%s%s" % (" ".join(argv[:4]), proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:]))
    return proc


def env():
    out = sh(["bash", "-c", "source scripts/env.sh >/dev/null && env"], env=dict(os.environ, HOME=os.environ.get("HOME", "/root")))
    result = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    result.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_PIPELINING="1",
                  ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_NOCOLOR="1")
    return result


def start_container(release):
    import yaml

    with open(os.path.join(ROOT, "molecule", "_shared", "platform_defaults.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)["ironclad_platform_defaults"]
    sh(["docker", "rm", "-f", CONTAINER], check=False)
    argv = ["docker", "run", "-d", "--name", CONTAINER, "--hostname", CONTAINER, "--label", "owner=benchmark"]
    for cap in defaults["capabilities"]:
        argv += ["--cap-add", cap]
    for tmpfs in defaults["tmpfs"]:
        argv += ["--tmpfs", tmpfs]
    for volume in defaults["volumes"]:
        argv += ["-v", volume]
    argv += ["ironclad-debian:%s" % release, defaults["command"]]
    sh(argv)
    for _attempt in range(60):
        state = sh(["docker", "exec", CONTAINER, "systemctl", "is-system-running", "--wait"], check=False)
        if state.stdout.strip() in ("running", "degraded"):
            return
    raise RuntimeError("the container did not finish booting")


def module_rules(count):
    """count distinct rules: IPv4 and IPv6 sources alternating, ports and comments varying."""
    rules = []
    for index in range(count):
        port = 1024 + index
        if index % 2:
            source = "fd00:%x::%x" % (index // 256, index % 256 + 1)
        else:
            source = "10.%d.%d.%d" % (index // 65536, (index // 256) % 256, index % 256 + 1)
        rules.append("-s %s -p tcp --dport %d -m comment --comment bench-%d -j ACCEPT" % (source, port, index))
    return rules


def builtin_items(count):
    return [{"source": "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256 + 1), "port": str(1024 + i),
             "comment": "bench-%d" % i} for i in range(count)]


def run_playbook(workdir, name, tasks, environment):
    play = [{"name": name, "hosts": CONTAINER, "gather_facts": False, "tasks": tasks}]
    path = os.path.join(workdir, name.replace(" ", "_") + ".yml")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(play, handle)
    out = sh(["ansible-playbook", "-i", os.path.join(workdir, "inventory.yml"), path], env=environment)
    report = json.loads(out.stdout[out.stdout.index("{"):])
    result = []
    for task in report["plays"][0]["tasks"]:
        host = task["hosts"][CONTAINER]
        start = datetime.fromisoformat(task["task"]["duration"]["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(task["task"]["duration"]["end"].replace("Z", "+00:00"))
        result.append({"name": task["task"]["name"], "seconds": (end - start).total_seconds(),
                       "changed": bool(host.get("changed")), "failed": bool(host.get("failed")), "host": host})
    return result


class _SkipBuiltin(Exception):
    """--builtin-rules 0: measure the module only."""


def verdict(ok):
    return "meets floor" if ok else "BELOW FLOOR"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--builtin-rules", type=int, default=100)
    parser.add_argument("--release", default="12")
    parser.add_argument("--keep", action="store_true", help="keep the container")
    args = parser.parse_args()
    if args.rules < 1 or args.builtin_rules < 0:
        parser.error("--rules must be at least 1 and --builtin-rules at least 0 (0 skips the builtin loop)")
    os.chdir(ROOT)
    environment = env()
    start_container(args.release)
    try:
        with tempfile.TemporaryDirectory(prefix="ironclad-bench-") as workdir:
            with open(os.path.join(workdir, "inventory.yml"), "w", encoding="utf-8") as handle:
                host_vars = {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"}
                json.dump({"all": {"hosts": {CONTAINER: host_vars}}}, handle)
            apply_task = {"name": "ruleset", "ironclad.infra.iptables_ruleset": {
                "chains": [{"name": "INPUT", "policy": "ACCEPT", "rules": module_rules(args.rules)}]}}
            first = run_playbook(workdir, "module first", [apply_task], environment)[0]
            ping_task = {"name": "ping", "ansible.builtin.ping": {}}
            ping, rerun = run_playbook(workdir, "module rerun", [ping_task, apply_task], environment)
            count = sh(["docker", "exec", CONTAINER, "sh", "-c",
                        "iptables -S INPUT | grep -c bench-; ip6tables -S INPUT | grep -c bench-"]).stdout.split()
            loaded = sum(int(c) for c in count)

            if args.builtin_rules == 0:
                builtin_first = builtin_rerun = None
                raise _SkipBuiltin()
            flush = {"name": "flush", "ansible.builtin.command": "iptables -F INPUT"}
            loop_task = {"name": "builtin", "ansible.builtin.iptables": {
                "chain": "INPUT", "protocol": "tcp", "source": "{{ item.source }}",
                "destination_port": "{{ item.port }}", "comment": "{{ item.comment }}", "jump": "ACCEPT"},
                "loop": builtin_items(args.builtin_rules)}
            builtin_first = run_playbook(workdir, "builtin first", [flush, loop_task], environment)[1]
            builtin_rerun = run_playbook(workdir, "builtin rerun", [loop_task], environment)[0]
    except _SkipBuiltin:
        pass
    finally:
        if not args.keep:
            sh(["docker", "rm", "-f", CONTAINER], check=False)

    for label, task in (("module first", first), ("module rerun", rerun), ("builtin first", builtin_first),
                        ("builtin rerun", builtin_rerun)):
        if task is not None and task["failed"]:
            raise RuntimeError("%s failed: %s" % (label, json.dumps(task["host"])[:2000]))
    print("iptables benchmark on %s (Debian %s, docker connection, pipelining)" % (CONTAINER, args.release))
    print("  rules live after the first apply: %d of %d" % (loaded, args.rules))
    print("  %-44s %8.2f s  changed=%-5s  %s (<= %.0f s)" % (
        "iptables_ruleset first apply, %d rules" % args.rules, first["seconds"], first["changed"],
        verdict(first["seconds"] <= FLOORS["first"]), FLOORS["first"]))
    print("  %-44s %8.2f s  changed=%-5s  %s (<= %.0f s)" % (
        "iptables_ruleset re-run, %d rules" % args.rules, rerun["seconds"], rerun["changed"],
        verdict(rerun["seconds"] <= FLOORS["rerun"] and not rerun["changed"]), FLOORS["rerun"]))
    print("  %-44s %8.2f s  (Ansible's own cost of one task on this host, for scale)" % (
        "ansible.builtin.ping, same connection", ping["seconds"]))
    print("  load average at the end: %s" % " ".join("%.1f" % v for v in os.getloadavg()))
    if builtin_first is None:
        print("  (ansible.builtin.iptables loop skipped: --builtin-rules 0)")
        return 0
    per_module_first = first["seconds"] / args.rules
    per_module_rerun = rerun["seconds"] / args.rules
    per_builtin_first = builtin_first["seconds"] / args.builtin_rules
    per_builtin_rerun = builtin_rerun["seconds"] / args.builtin_rules
    speed_first = per_builtin_first / per_module_first
    speed_rerun = per_builtin_rerun / per_module_rerun

    print("  %-44s %8.2f s  changed=%s" % ("ansible.builtin.iptables loop, first, %d rules" % args.builtin_rules,
                                           builtin_first["seconds"], builtin_first["changed"]))
    print("  %-44s %8.2f s  changed=%s" % ("ansible.builtin.iptables loop, re-run, %d rules" % args.builtin_rules,
                                           builtin_rerun["seconds"], builtin_rerun["changed"]))
    print("  (the builtin loop ran %d rules, not %d: at its speed 1,000 would take minutes; per-rule figures compare)"
          % (args.builtin_rules, args.rules))
    print("  per rule, first:  module %.2f ms, builtin %.1f ms -> %.0fx faster  %s (>= %.0fx)" % (
        per_module_first * 1000, per_builtin_first * 1000, speed_first,
        verdict(speed_first >= FLOORS["speedup"]), FLOORS["speedup"]))
    print("  per rule, re-run: module %.2f ms, builtin %.1f ms -> %.0fx faster  %s (>= %.0fx)" % (
        per_module_rerun * 1000, per_builtin_rerun * 1000, speed_rerun,
        verdict(speed_rerun >= FLOORS["speedup"]), FLOORS["speedup"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
