"""The scenario's hosts as the Molecule tests reach them: probes, SSH as the admin account, reboots.

Shared by the testinfra tests of every scenario (``from lab_hosts import on, run_json``);
molecule/conftest.py puts this folder on ``sys.path``. Probes run on a host through ``docker exec``
(the test's own side channel, which works whatever the firewall allows); ``ssh_as_admin`` logs in the
way an operator does, over the scenario network with the key molecule/_shared/create.yml made.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import time

import testinfra
import yaml

_SHARED = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_SHARED, "platform_defaults.yml"), encoding="utf-8") as _handle:
    ADMIN_USER = yaml.safe_load(_handle)["ironclad_admin_user"]
# Host keys are new at every run (and ssh_hardening replaces them): nothing to pin.
_SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "IdentitiesOnly=yes"]


def _ephemeral(*parts):
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], *parts)


def on(name):
    """The testinfra host for a scenario host, reached through docker exec (as root)."""
    return testinfra.get_host("docker://" + name)


def name_of(host):
    """The scenario host name of a testinfra host (its docker:// or ansible:// backend name)."""
    return host.backend.name


def peer_of(host, names):
    """Another host of ``names`` than ``host``, as a testinfra host: the client of a two-host check."""
    return on(next(name for name in names if name != name_of(host)))


def run_json(name, script, *args):
    """Run a probe script on a scenario host (given to python3 -c, not copied there); return its JSON."""
    result = on(name).run("python3 -c %s " + " ".join(["%s"] * len(args)), script, *[str(a) for a in args])
    assert result.rc == 0, (name, args, result.stdout, result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def address(name):
    """The host's IPv4 address on the scenario network (fixed by create.yml, kept across reboots)."""
    with open(_ephemeral("addresses", name), encoding="utf-8") as handle:
        return handle.read().strip()


def ssh_as_admin(name, command, timeout=60):
    """Log in to the host over SSH as the admin account with the scenario's key and run ``command``."""
    argv = ["ssh", "-i", _ephemeral("admin_id_ed25519"), *_SSH_OPTIONS, "%s@%s" % (ADMIN_USER, address(name)), command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def _boot_state(name, timeout):
    # Right after the start, systemctl may not reach systemd's bus yet (empty answer): ask again.
    deadline = time.monotonic() + timeout
    while True:
        result = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running", "--wait"],
                                capture_output=True, text=True, timeout=timeout, check=False)
        state = result.stdout.strip()
        if state in ("running", "degraded") or time.monotonic() > deadline:
            return state or result.stderr.strip()
        time.sleep(1)


def reboot(names, timeout=300):
    """Restart the hosts as a power cycle of the fleet would (all down, then all up); wait for their boot.

    ``docker stop`` sends systemd its halt signal (the platform's stop_signal), so every host shuts down
    cleanly; the hosts keep their addresses. Returns ``{name: "running" | "degraded" | ...}``.
    """
    subprocess.run(["docker", "stop", "--time", "60", *names], capture_output=True, text=True, check=True)
    subprocess.run(["docker", "start", *names], capture_output=True, text=True, check=True)
    with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
        states = dict(zip(names, pool.map(lambda name: _boot_state(name, timeout), names), strict=True))
    return states
