"""Requests lost while HAProxy reloads with a changed configuration, under steady HTTPS load.

Uses the lab of the Molecule scenario `haproxy` (two load balancers, two web backends). If its containers
are not running, the script creates and converges them first (and removes them at the end unless --keep).

A client on a backend host (molecule/haproxy/files/lbclient.py, threads, a new TLS connection per request
or --keepalive) sends requests through one load balancer while the configuration changes and HAProxy
reloads. Each reload is a real configuration change:

* direct (default): rewrite haproxy.cfg with a different `maxconn`, check it with `haproxy -c`, then
  `systemctl reload haproxy` (Debian's master-worker reload) --reloads times;
* --via-role: additionally run the role through ansible-playbook with a changed `haproxy_maxconn`
  (template, validate, handler reload) and once more to put the default back.

Prints the request count, the error count (target: 0), the reload count from the master process and the
throughput. Run:  .venv/bin/python benchmarks/haproxy_reload.py [--lb ict-haproxy-lb-d13] [--keepalive]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLIENT = "ict-haproxy-web2-d13"
LBS = ("ict-haproxy-lb-d12", "ict-haproxy-lb-d13")
CONFIG = "/etc/haproxy/haproxy.cfg"
STOP_FILE = "/tmp/haproxy-reload-benchmark.stop"


def sh(*command, check=True, capture=True):
    return subprocess.run(command, check=check, text=True, capture_output=capture).stdout


def docker_exec(container, *command, check=True):
    return sh("docker", "exec", container, *command, check=check)


def lab_running():
    names = sh("docker", "ps", "--format", "{{.Names}}", check=False).split()
    return all(name in names for name in (*LBS, CLIENT))


def molecule(command):
    print("molecule %s haproxy ..." % command, flush=True)
    run = subprocess.run(["bash", "scripts/molecule.sh", "haproxy", command], cwd=REPO, text=True, capture_output=True, check=False)
    if run.returncode != 0:
        sys.exit("molecule %s failed:\n%s" % (command, (run.stdout + run.stderr)[-3000:]))


def master_reloads(lb):
    """The master's reload counter from `show proc` on the master CLI."""
    script = (
        "import socket; s=socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect('/run/haproxy-master.sock'); "
        "s.sendall(b'show proc\\n'); s.shutdown(socket.SHUT_WR); print(s.makefile().read())"
    )
    out = docker_exec(lb, "python3", "-c", script, check=False)
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[1] == "master":
            return int(fields[2])
    return None


def direct_reload(lb, original, index):
    """Change the configuration (maxconn), check it, reload."""
    changed = re.sub(r"(?m)^(\s*maxconn )(\d+)$", lambda m: m.group(1) + str(int(m.group(2)) + 1 + index % 2), original, count=1)
    subprocess.run(["docker", "exec", "-i", lb, "sh", "-c", "cat > %s.bench" % CONFIG], input=changed, text=True, check=True)
    docker_exec(lb, "haproxy", "-c", "-q", "-f", CONFIG + ".bench")
    docker_exec(lb, "mv", CONFIG + ".bench", CONFIG)
    docker_exec(lb, "systemctl", "reload", "haproxy")


def molecule_inventory():
    """The inventory Molecule wrote for the scenario (in its ephemeral directory)."""
    if os.environ.get("MOLECULE_INVENTORY_FILE"):
        return os.environ["MOLECULE_INVENTORY_FILE"]
    found = sorted((Path.home() / ".ansible" / "tmp").glob("molecule.*.haproxy/inventory"))
    if not found:
        sys.exit("No Molecule inventory for the haproxy scenario; run: bash scripts/molecule.sh haproxy converge")
    return str(found[-1])


def role_reload(lb, maxconn):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    inventory = molecule_inventory()
    command = ["bash", "-c", 'source scripts/env.sh && exec ansible-playbook "$@"', "ansible-playbook"]
    command += ["-i", inventory, "molecule/haproxy/apply_haproxy.yml", "--limit", lb, "--tags", "haproxy_config"]
    command += ["-e", "haproxy_maxconn=%d" % maxconn]
    run = subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True, check=False)
    if run.returncode != 0 or not re.search(r"changed=[1-9]", run.stdout):
        sys.exit("the role run failed or changed nothing:\n" + run.stdout[-2000:] + run.stderr[-2000:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--lb", default=LBS[0], choices=LBS)
    parser.add_argument("--reloads", type=int, default=10, help="direct reloads, each with a config change")
    parser.add_argument("--interval", type=float, default=1.5, help="seconds between two reloads")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--keepalive", action="store_true", help="reuse client connections (default: one per request)")
    parser.add_argument("--via-role", action="store_true", help="also reload through the role (ansible-playbook)")
    parser.add_argument("--keep", action="store_true", help="keep a lab this script created")
    args = parser.parse_args()

    created = False
    if not lab_running():
        molecule("create")
        molecule("converge")
        created = True
    lb = args.lb
    try:
        version = "HAProxy " + docker_exec(lb, "haproxy", "-v").split()[2]
        original = docker_exec(lb, "cat", CONFIG)
        reloads_before = master_reloads(lb)
        docker_exec(CLIENT, "rm", "-f", STOP_FILE)
        outcome = {}
        command = ["docker", "exec", CLIENT, "python3", "/usr/local/bin/lbclient", "load", lb, "--duration", "3600"]
        command += ["--concurrency", str(args.concurrency), "--stop-file", STOP_FILE] + (["--keepalive"] if args.keepalive else [])

        def load():
            outcome.update(json.loads(sh(*command)))

        thread = threading.Thread(target=load)
        thread.start()
        time.sleep(2)
        steps = 0
        started = time.monotonic()
        for index in range(args.reloads):
            direct_reload(lb, original, index)
            steps += 1
            time.sleep(args.interval)
        if args.via_role:
            role_reload(lb, 5000)
            time.sleep(args.interval)
            role_reload(lb, 4096)
            steps += 2
        reload_seconds = time.monotonic() - started
        time.sleep(2)
        docker_exec(CLIENT, "touch", STOP_FILE)
        thread.join()
        # Put the converged configuration back (unchanged after --via-role; restored after direct reloads).
        subprocess.run(["docker", "exec", "-i", lb, "sh", "-c", "cat > %s" % CONFIG], input=original, text=True, check=True)
        docker_exec(lb, "systemctl", "reload", "haproxy")
        reloads_after = master_reloads(lb)
    finally:
        if created and not args.keep:
            molecule("destroy")

    mode = "keep-alive connections" if args.keepalive else "a new TLS connection per request"
    print()
    print("HAProxy reload benchmark: %s (%s), client on %s" % (lb, version, CLIENT))
    print("load:     %d concurrent clients, %s, %.1f s" % (args.concurrency, mode, outcome["seconds"]))
    print(
        "reloads:  %d with a configuration change in %.1f s%s; master reload counter %s -> %s (includes the restore)"
        % (steps, reload_seconds, " (2 through the role)" if args.via_role else "", reloads_before, reloads_after)
    )
    print("requests: %d   errors: %d   (%.1f requests/s)" % (outcome["requests"], outcome["errors"], outcome["rps"]))
    print("backends: %s" % ", ".join("%s %d" % item for item in sorted(outcome["by_backend"].items())))
    if outcome["error_samples"]:
        print("error samples: %s" % outcome["error_samples"][:5])
    return 0 if outcome["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
