# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy runtime API: a small client, parsers for its answers, and the server-state manager.

The runtime API is the ``stats socket`` of HAProxy (``level admin``). Every command is sent on a fresh
connection (non-interactive mode): write one line, read until HAProxy closes the socket.

Layers, from pure to side effects:

* ``parse_servers_state`` / ``parse_stat_csv`` / ``admin_state``: text in, data out.
* ``RuntimeAPI``: sends commands through a transport (a UNIX socket by default; tests pass a fake).
* ``ServerStateManager``: read current state, compare with the wanted one (``DifferenceTracker``),
  act unless in check mode, then wait for sessions to drain or for health checks to pass.
"""

from __future__ import annotations

import socket
import time

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker

__metaclass__ = type

# srv_admin_state bits (HAProxy include/haproxy/server-t.h, enum srv_admin).
ADMF_FMAINT = 0x01  # forced into maintenance (runtime API / stats page)
ADMF_IMAINT = 0x02  # maintenance inherited from a tracked server
ADMF_CMAINT = 0x04  # "disabled" in the configuration
ADMF_FDRAIN = 0x08  # forced into drain (runtime API / stats page)
ADMF_IDRAIN = 0x10  # drain inherited from a tracked server
ADMF_RMAINT = 0x20  # maintenance because its address could not be resolved
ADMF_HMAINT = 0x40  # FQDN set from the runtime API

# srv_op_state values.
OP_STATES = {0: "DOWN", 1: "STARTING", 2: "UP", 3: "STOPPING"}

STATES = ("ready", "drain", "maint")


class HAProxyRuntimeError(Exception):
    """The runtime API could not be reached or refused a command."""


def admin_state(flags):
    """Map ``srv_admin_state`` bits to the state a person sets: ``maint``, ``drain`` or ``ready``.

    Only maintenance set at runtime (``FMAINT``) counts as ``maint``: a server disabled in the
    configuration or inherited from a tracked server is not ours to change through the socket.
    """
    if flags & ADMF_FMAINT:
        return "maint"
    if flags & ADMF_FDRAIN:
        return "drain"
    return "ready"


def describe_admin_flags(flags):
    """Human-readable names of every admin bit that is set (for messages and results)."""
    names = (
        (ADMF_FMAINT, "forced maintenance"),
        (ADMF_IMAINT, "maintenance inherited from a tracked server"),
        (ADMF_CMAINT, "disabled in the configuration"),
        (ADMF_FDRAIN, "forced drain"),
        (ADMF_IDRAIN, "drain inherited from a tracked server"),
        (ADMF_RMAINT, "maintenance: address resolution failed"),
        (ADMF_HMAINT, "FQDN set at runtime"),
    )
    return [name for bit, name in names if flags & bit]


def _int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_servers_state(text):
    """Parse ``show servers state [<backend>]``.

    The answer is a format version line (``1``), a ``# ``-prefixed header naming the columns and one
    space-separated line per server. Columns are looked up by name because HAProxy versions add
    columns at the end. Returns a list of dicts with the raw columns plus ``admin_flags`` (int),
    ``state`` (``ready``/``drain``/``maint``), ``operational`` (``UP``/``DOWN``/...) and ``weight``.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    if not lines[0].strip().isdigit():
        raise HAProxyRuntimeError("Unexpected answer to 'show servers state': %r" % lines[0][:200])
    header = None
    servers = []
    for line in lines[1:]:
        if line.startswith("#"):
            header = line.lstrip("#").split()
            continue
        if header is None:
            raise HAProxyRuntimeError("'show servers state' answered without a header line")
        fields = line.split()
        row = dict(zip(header, fields, strict=False))
        flags = _int(row.get("srv_admin_state"))
        op_state = _int(row.get("srv_op_state"), -1)
        row.update(
            {
                "backend": row.get("be_name"),
                "server": row.get("srv_name"),
                "address": row.get("srv_addr"),
                "admin_flags": flags,
                "state": admin_state(flags),
                "operational": OP_STATES.get(op_state, "UNKNOWN"),
                "weight": _int(row.get("srv_uweight"), None),
            }
        )
        servers.append(row)
    return servers


def parse_stat_csv(text):
    """Parse ``show stat`` CSV into a list of dicts keyed by the header (``pxname``, ``svname``, ...)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("#"):
        raise HAProxyRuntimeError("Unexpected answer to 'show stat': %r" % (lines[0][:200] if lines else ""))
    header = lines[0].lstrip("# ").rstrip(",").split(",")
    rows = []
    for line in lines[1:]:
        fields = line.rstrip(",").split(",")
        rows.append(dict(zip(header, fields, strict=False)))
    return rows


def check_answer(command, answer):
    """Raise if the runtime API refused ``command``.

    ``set server`` and ``shutdown sessions`` answer nothing when they work; any text is HAProxy's reason for
    refusing (``No such server.``, ``Absolute weight can only be between 0 and 256 inclusive.``).
    """
    if answer.strip():
        raise HAProxyRuntimeError("HAProxy refused %r: %s" % (command, answer.strip()))
    return answer


def unix_transport(path, timeout):
    """Send one command to a UNIX stream socket and return the whole answer."""

    def send(command):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
            sock.sendall((command + "\n").encode("utf-8"))
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            sock.close()
        return b"".join(chunks).decode("utf-8", errors="replace")

    return send


class RuntimeAPI:
    """Commands of the HAProxy runtime API over a transport (``callable(command) -> answer``)."""

    def __init__(self, transport):
        self._send = transport

    def execute(self, command):
        try:
            answer = self._send(command)
        except OSError as exc:  # socket.timeout is an OSError too
            raise HAProxyRuntimeError(
                "Cannot talk to the HAProxy runtime API: %s. Is HAProxy running, and does its "
                "configuration declare 'stats socket <path> level admin' at the path given in 'socket'?" % exc
            ) from exc
        return answer

    def servers_state(self, backend):
        answer = self.execute("show servers state %s" % backend)
        if "can't find backend" in answer.lower():
            raise HAProxyRuntimeError("Backend %r does not exist in the running HAProxy." % backend)
        return parse_servers_state(answer)

    def server_sessions(self, backend, server):
        """Current and queued sessions of one server (``scur``, ``qcur``) from ``show stat``.

        ``show stat`` filters by proxy id, not name, so ask for the servers of every proxy (``-1 4 -1``).
        """
        rows = parse_stat_csv(self.execute("show stat -1 4 -1"))
        for row in rows:
            if row.get("pxname") == backend and row.get("svname") == server:
                return _int(row.get("scur")), _int(row.get("qcur"))
        raise HAProxyRuntimeError("Server %s/%s is missing from 'show stat'." % (backend, server))

    def set_state(self, backend, server, state):
        command = "set server %s/%s state %s" % (backend, server, state)
        return check_answer(command, self.execute(command))

    def set_weight(self, backend, server, weight):
        command = "set server %s/%s weight %d" % (backend, server, weight)
        return check_answer(command, self.execute(command))

    def shutdown_sessions(self, backend, server):
        command = "shutdown sessions server %s/%s" % (backend, server)
        return check_answer(command, self.execute(command))


class ServerStateManager:
    """Bring one backend server to ``ready``, ``drain`` or ``maint`` and wait as asked.

    ``params`` is the module's parameter dict: backend, server, state, weight, wait, wait_timeout,
    wait_interval, on_timeout. ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(self, api, params, check_mode=False, clock=time.monotonic, sleep=time.sleep):
        self.api = api
        self.params = params
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep
        self.tracker = DifferenceTracker()

    @property
    def _name(self):
        return "%s/%s" % (self.params["backend"], self.params["server"])

    def _find(self):
        backend, server = self.params["backend"], self.params["server"]
        servers = self.api.servers_state(backend)
        for entry in servers:
            if entry["server"] == server:
                return entry
        known = ", ".join(sorted(entry["server"] for entry in servers)) or "none"
        raise HAProxyRuntimeError(
            "Server %r is not in backend %r of the running HAProxy (its servers: %s). Check 'server' "
            "against the names in haproxy.cfg (the role names servers after inventory hosts)." % (server, backend, known)
        )

    def _wait_for_sessions(self):
        """Poll until the server has no current or queued session; return (drained, waited, sessions)."""
        backend, server = self.params["backend"], self.params["server"]
        start = self.clock()
        deadline = start + self.params["wait_timeout"]
        while True:
            current, queued = self.api.server_sessions(backend, server)
            if current == 0 and queued == 0:
                return True, self.clock() - start, 0
            if self.clock() >= deadline:
                return False, self.clock() - start, current + queued
            self.sleep(self.params["wait_interval"])

    def _wait_for_up(self):
        """Poll until health checks report the server UP; return (up, waited, operational)."""
        start = self.clock()
        deadline = start + self.params["wait_timeout"]
        while True:
            entry = self._find()
            if entry["operational"] == "UP":
                return True, self.clock() - start, entry["operational"]
            if self.clock() >= deadline:
                return False, self.clock() - start, entry["operational"]
            self.sleep(self.params["wait_interval"])

    def run(self):
        params = self.params
        wanted = params["state"]
        current = self._find()
        result = {
            "backend": params["backend"],
            "server": params["server"],
            "previous_state": current["state"],
            "state": current["state"],
            "operational": current["operational"],
            "admin_flags": describe_admin_flags(current["admin_flags"]),
            "weight": current["weight"],
            "sessions": None,
            "drained": None,
            "waited": 0.0,
        }
        if current["admin_flags"] & (ADMF_CMAINT | ADMF_IMAINT):
            raise HAProxyRuntimeError(
                "Server %s is in maintenance from its configuration or a tracked server (%s); the runtime API "
                "cannot change that. Fix the configuration instead." % (self._name, ", ".join(result["admin_flags"]))
            )

        if params.get("weight") is not None and params["weight"] != current["weight"]:
            self.tracker.add(
                "%s.weight" % self._name,
                current["weight"],
                params["weight"],
                action="set weight of %s to %d" % (self._name, params["weight"]),
            )
            if not self.check_mode:
                self.api.set_weight(params["backend"], params["server"], params["weight"])
            result["weight"] = params["weight"]

        if wanted == current["state"]:
            return self._finish(result)

        # Going to maintenance from serving: drain first (unless told not to), so sessions end on their own.
        drain_first = wanted == "maint" and current["state"] == "ready" and params["drain_first"]
        action = "drain %s, then set it to maint" % self._name if drain_first else "set %s to %s" % (self._name, wanted)
        self.tracker.add("%s.state" % self._name, current["state"], wanted, action=action)
        result["state"] = wanted
        if self.check_mode:
            return self._finish(result)

        self.api.set_state(params["backend"], params["server"], "drain" if drain_first else wanted)
        if wanted in ("drain", "maint") and params["wait"]:
            failure = self._wait_drained(result)
            if failure:
                # Leave the server drained (no new traffic) but not in maintenance: sessions are still running.
                result["state"] = "drain" if drain_first else wanted
                return self._fail(result, failure)
        if drain_first:
            self.api.set_state(params["backend"], params["server"], "maint")
        if wanted == "ready" and params["wait"]:
            up, waited, operational = self._wait_for_up()
            result.update({"waited": round(waited, 3), "operational": operational})
            if not up and params["on_timeout"] == "fail":
                return self._fail(
                    result,
                    "Server %s is enabled but its health checks still say %s after %s s. Check the service on "
                    "the server, raise 'wait_timeout', or set wait=false or on_timeout=continue." % (self._name, operational, params["wait_timeout"]),
                )
        return self._finish(result)

    def _wait_drained(self, result):
        """Wait for the sessions to end; apply the on_timeout policy. Returns an error message or None."""
        params = self.params
        drained, waited, sessions = self._wait_for_sessions()
        result.update({"drained": drained, "waited": round(waited, 3), "sessions": sessions})
        if drained:
            return None
        if params["on_timeout"] == "shutdown_sessions":
            self.api.shutdown_sessions(params["backend"], params["server"])
            self.tracker.add_action("shut down %d remaining session(s) of %s" % (sessions, self._name))
            result["sessions"] = 0
            return None
        if params["on_timeout"] == "continue":
            return None
        return (
            "Server %s still has %d session(s) after %s s. Raise 'wait_timeout', or set "
            "on_timeout=shutdown_sessions to cut them, or on_timeout=continue to go on anyway." % (self._name, sessions, params["wait_timeout"])
        )

    def _fail(self, result, message):
        result = self._finish(result)
        result["msg"] = message
        result["failed"] = True
        return result

    def _finish(self, result):
        result["changed"] = self.tracker.changed
        result["actions"] = self.tracker.actions
        result["diff"] = self.tracker.diff(before_header=self._name, after_header=self._name)
        return result
