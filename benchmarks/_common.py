# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the benchmarks share: running commands, the Ansible environment of this checkout, timed
playbook runs and the PLAY RECAP counters."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(argv, check=True, timeout=1800, env=None, capture=True):
    """Run a command; raise with the tail of its output when it fails and check is true."""
    proc = subprocess.run(argv, capture_output=capture, text=True, timeout=timeout, env=env, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("%s failed (rc %d):\n%s%s" % (" ".join(argv), proc.returncode, (proc.stdout or "")[-4000:],
                                                         (proc.stderr or "")[-4000:]))
    return proc


def ansible_env(**extra):
    """os.environ plus this checkout's collection, the venv's tools, pipelining and plain output."""
    env = dict(os.environ)
    # A collections directory of this checkout only: the default one in $HOME is shared by every
    # checkout on the machine, and another checkout re-pointing it mid-run breaks the run.
    env.setdefault("IRONCLAD_COLLECTIONS_DIR", os.path.join(ROOT, ".cache", "collections"))
    collections = sh(["bash", os.path.join(ROOT, "scripts", "collection-link.sh")], env=env).stdout.strip()
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "PATH": os.path.join(ROOT, ".venv", "bin") + os.pathsep + env.get("PATH", ""),
    })
    env.pop("ANSIBLE_CONFIG", None)
    env.update({key: str(value) for key, value in extra.items()})
    return env


def recap(output):
    """{host: {ok: n, changed: n, failed: n, ...}} from the PLAY RECAP of an ansible-playbook output."""
    counters = {}
    for line in output.split("PLAY RECAP", 1)[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            counters[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return counters


def playbook(inventory, path, env, *extra):
    """Run ansible-playbook; return (wall seconds, output). A failed run raises with the output's tail."""
    start = time.monotonic()
    proc = sh(["ansible-playbook", "-i", inventory, path, *extra], check=False, env=env)
    elapsed = time.monotonic() - start
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (path, output[-6000:]))
    return elapsed, output


def cpu_seconds():
    """CPU time (user + system) of the finished child processes so far: Ansible and what it started
    on this machine (a local or docker connection's commands), not the lab hosts' own processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_cpu_seconds():
    """CPU time used by every process of the machine so far (user, nice, system, irq, softirq, steal)."""
    with open("/proc/stat") as handle:
        ticks = [int(v) for v in handle.readline().split()[1:]]
    return (sum(ticks[:3]) + sum(ticks[5:8])) / os.sysconf("SC_CLK_TCK")
