# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of playbooks/harden.yml (os_hardening + ssh_hardening) on fresh lab hosts.

For each Debian release (12 and 13 by default) this script

1. starts a fresh container from ``ironclad-debian:<release>-base`` with the lab host options of
   ``molecule/_shared/platform_defaults.yml`` (name prefix ``ict-bench-``);
2. runs ``playbooks/harden.yml`` twice over the docker connection with pipelining and prints the wall
   time of the first converge and of the no-change re-run (plus the changed counts), then a check-mode
   run (must report no change). Profiles: ``defaults`` (role defaults only) and ``site``
   (``benchmarks/hardening-site.yml``: a central log host -- a sink container started here -- and an
   SSH allow-list, the settings that name a site's own infrastructure and so have no default);
3. runs the read-only audit (``playbooks/audit.yml``) and prints its score;
4. installs Lynis **inside the converged container** (only here, never as part of hardening) and runs
   ``lynis audit system --quick``; prints the hardening index;
5. runs ssh-audit from the controller against the container's sshd and prints the fail/warn counts;
6. removes the container.

``--baseline`` also measures Lynis and ssh-audit on an untouched fresh host. Floors:
first converge <= 45 s, no-change re-run <= 15 s, Lynis >= 85, ssh-audit 0 fail / 0 warn.
Figures are printed, never asserted (machines differ); the exit code is 0 unless a step broke.

    .venv/bin/python benchmarks/hardening.py [--releases 12 13] [--profiles defaults site] [--baseline] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time

from _common import ROOT, ansible_env, playbook, recap, sh

FLOORS = {"first": 45.0, "rerun": 15.0, "lynis": 85, "ssh_fail": 0, "ssh_warn": 0}


def platform_defaults():
    import yaml

    with open(os.path.join(ROOT, "molecule", "_shared", "platform_defaults.yml")) as handle:
        return yaml.safe_load(handle)["ironclad_platform_defaults"]


def start_host(name, image):
    opts = platform_defaults()
    argv = ["docker", "run", "-d", "--name", name, "--hostname", name]
    for cap in opts.get("capabilities", []):
        argv += ["--cap-add", cap]
    for mount in opts.get("tmpfs", []):
        argv += ["--tmpfs", mount]
    for volume in opts.get("volumes", []):
        argv += ["-v", volume]
    if opts.get("stop_signal"):
        argv += ["--stop-signal", opts["stop_signal"]]
    argv += [image, opts.get("command", "/lib/systemd/systemd")]
    sh(["docker", "rm", "-f", name], check=False)
    sh(argv)
    for _attempt in range(120):
        state = sh(["docker", "exec", name, "systemctl", "is-system-running"], check=False).stdout.strip()
        if state in ("running", "degraded"):
            break
        time.sleep(0.5)
    return sh(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name]).stdout.split()[0]


LOG_SINK = (
    "import socketserver\n"
    "class H(socketserver.StreamRequestHandler):\n"
    "    def handle(self):\n"
    "        for _ in self.rfile:\n"
    "            pass\n"
    "socketserver.ThreadingTCPServer.allow_reuse_address = True\n"
    "socketserver.ThreadingTCPServer(('0.0.0.0', 514), H).serve_forever()\n"
)


def start_log_sink(name, image):
    """A lab log host: accepts syslog over TCP 514 and discards it (only project containers talk to it)."""
    sh(["docker", "rm", "-f", name], check=False)
    sh(["docker", "run", "-d", "--name", name, image, "python3", "-c", LOG_SINK])
    return sh(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name]).stdout.split()[0]


def lynis(name):
    sh(["docker", "exec", name, "sh", "-c",
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends lynis >/dev/null 2>&1 "
        "|| (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends lynis >/dev/null)"])
    sh(["docker", "exec", name, "lynis", "audit", "system", "--quick", "--no-colors"], check=False, timeout=900)
    report = sh(["docker", "exec", name, "cat", "/var/log/lynis-report.dat"]).stdout
    index = re.search(r"^hardening_index=(\d+)", report, re.M)
    suggestions = re.findall(r"^suggestion\[\]=([^|]+)\|([^|]*)\|", report, re.M)
    return (int(index.group(1)) if index else None), suggestions


def ssh_audit(address):
    tool = os.path.join(ROOT, ".venv", "bin", "ssh-audit")
    proc = sh([tool, "-n", address], check=False, timeout=120)
    text = proc.stdout
    fails = [line.strip() for line in text.splitlines() if "[fail]" in line]
    warns = [line.strip() for line in text.splitlines() if "[warn]" in line]
    return fails, warns


def wait_for_aide(name, limit):
    """Let the background AIDE build finish before Lynis, so the two do not fight for the CPUs."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        state = sh(["docker", "exec", name, "systemctl", "show", "-p", "ActiveState", "--value",
                    "ironclad-aide-init.service"], check=False).stdout.strip()
        if state != "activating":
            return time.monotonic() - start, state
        time.sleep(2)
    return time.monotonic() - start, "still building"


def bench_release(release, profile, args, env):
    name = "ict-bench-hardening-d%s-%s-%d" % (release, profile, os.getpid())
    sink = "ict-bench-loghost-d%s-%d" % (release, os.getpid())
    image = "ironclad-debian:%s-base" % release
    result = {"release": release, "image": image, "profile": profile}
    extra = []
    workdir = tempfile.mkdtemp(prefix="ironclad-bench-")
    inventory = os.path.join(workdir, "inventory.yml")
    with open(inventory, "w") as handle:
        handle.write(
            "all:\n  hosts:\n    %s:\n      ansible_connection: community.docker.docker\n"
            "      ansible_python_interpreter: /usr/bin/python3\n" % name
        )
    try:
        if args.baseline:
            address = start_host(name, image)
            result["baseline_lynis"] = lynis(name)[0]
            fails, warns = ssh_audit(address)
            result["baseline_ssh_fail"], result["baseline_ssh_warn"] = len(fails), len(warns)
            sh(["docker", "rm", "-f", name])
        address = start_host(name, image)
        if profile == "site":
            sink_address = start_log_sink(sink, image)
            extra = ["-e", "@" + os.path.join(ROOT, "benchmarks", "hardening-site.yml"),
                     "-e", "os_hardening_remote_syslog_host=%s" % sink_address]
        tag = "[d%s %s]" % (release, profile)
        print("%s fresh host %s (%s) at %s" % (tag, name, image, address), flush=True)
        first, out1 = playbook(inventory, ROOT + "/playbooks/harden.yml", env, *extra)
        result["first_converge_s"] = round(first, 1)
        result["first_changed"] = recap(out1).get(name, {}).get("changed")
        print("%s first converge: %.1f s (changed=%s)" % (tag, first, result["first_changed"]), flush=True)
        second, out2 = playbook(inventory, ROOT + "/playbooks/harden.yml", env, *extra)
        result["rerun_s"] = round(second, 1)
        result["rerun_changed"] = recap(out2).get(name, {}).get("changed")
        print("%s no-change re-run: %.1f s (changed=%s)" % (tag, second, result["rerun_changed"]), flush=True)
        check, out3 = playbook(inventory, ROOT + "/playbooks/harden.yml", env, "--check", *extra)
        result["check_s"] = round(check, 1)
        result["check_changed"] = recap(out3).get(name, {}).get("changed")
        print("%s check mode: %.1f s (changed=%s)" % (tag, check, result["check_changed"]), flush=True)
        audit_time, out4 = playbook(inventory, ROOT + "/playbooks/audit.yml", env, *extra)
        score = re.search(r'"score": ([0-9.]+)', out4)
        result["audit_s"] = round(audit_time, 1)
        result["audit_score"] = float(score.group(1)) if score else None
        failed = re.search(r'"failed_controls": \[(.*?)\]', out4, re.S)
        result["audit_failed"] = re.findall(r'"([^"]+)"', failed.group(1)) if failed else []
        print("%s audit: score %s in %.1f s, failed: %s" % (tag, result["audit_score"], audit_time, result["audit_failed"] or "none"), flush=True)
        waited, state = wait_for_aide(name, args.aide_wait)
        result["aide_wait_s"] = round(waited, 1)
        result["aide_init"] = state
        result["lynis"], suggestions = lynis(name)
        result["lynis_suggestions"] = ["%s %s" % s for s in suggestions]
        print("%s Lynis hardening index: %s" % (tag, result["lynis"]), flush=True)
        fails, warns = ssh_audit(address)
        result["ssh_fail"], result["ssh_warn"] = len(fails), len(warns)
        result["ssh_findings"] = fails + warns
        print("%s ssh-audit: %d fail, %d warn" % (tag, len(fails), len(warns)), flush=True)
    finally:
        if not args.keep:
            sh(["docker", "rm", "-f", name, sink], check=False)
        else:
            print("[d%s %s] kept %s" % (release, profile, name))
    return result


def report(results):
    print("\n== ironclad.infra hardening benchmark (playbooks/harden.yml: os_hardening + ssh_hardening) ==")
    print("floors: first converge <= %(first)ss, no-change re-run <= %(rerun)ss, Lynis >= %(lynis)s, ssh-audit %(ssh_fail)s fail / %(ssh_warn)s warn" % FLOORS)
    print("reference: fresh Debian 12 host Lynis 57, ssh-audit 6 fail / 18 warn; public collection 70, 1 fail / 5 warn, ~130 s per run\n")
    header = "%-19s %10s %8s %10s %8s %7s %7s %8s %9s %9s" % (
        "release / profile", "first(s)", "changed", "rerun(s)", "changed", "check", "audit", "Lynis", "ssh fail", "ssh warn")
    print(header)
    print("-" * len(header))
    for r in results:
        print("%-19s %10s %8s %10s %8s %7s %7s %8s %9s %9s" % (
            "Debian %s %s" % (r["release"], r["profile"]), r.get("first_converge_s"), r.get("first_changed"), r.get("rerun_s"),
            r.get("rerun_changed"), r.get("check_changed"), r.get("audit_score"), r.get("lynis"),
            r.get("ssh_fail"), r.get("ssh_warn")))
        if "baseline_lynis" in r:
            print("%-19s %10s %8s %10s %8s %7s %7s %8s %9s %9s" % (
                "  fresh host", "-", "-", "-", "-", "-", "-", r["baseline_lynis"], r["baseline_ssh_fail"], r["baseline_ssh_warn"]))
    for r in results:
        if r.get("lynis_suggestions"):
            print("\nDebian %s %s: remaining Lynis suggestions (%d):" % (r["release"], r["profile"], len(r["lynis_suggestions"])))
            for line in r["lynis_suggestions"]:
                print("  " + line)
        if r.get("ssh_findings"):
            print("\nDebian %s %s: ssh-audit findings:" % (r["release"], r["profile"]))
            for line in r["ssh_findings"]:
                print("  " + line)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", nargs="+", default=["12", "13"], help="Debian releases (default: 12 13)")
    parser.add_argument("--profiles", nargs="+", default=["defaults", "site"], choices=["defaults", "site"],
                        help="variable profiles, each on its own fresh host (default: defaults site)")
    parser.add_argument("--baseline", action="store_true", help="also measure an untouched fresh host")
    parser.add_argument("--keep", action="store_true", help="keep the containers")
    parser.add_argument("--aide-wait", type=int, default=300, help="seconds to wait for the first AIDE build before Lynis")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    env = ansible_env()
    results = []
    for release in args.releases:
        for number, profile in enumerate(args.profiles):
            run_args = argparse.Namespace(**vars(args))
            run_args.baseline = args.baseline and number == 0
            results.append(bench_release(release, profile, run_args, env))
    report(results)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
