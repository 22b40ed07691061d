# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back end of ``ironclad.infra.haproxy_server_state``: the runtime API socket and the state change.

Uses of ``module`` (only in :func:`server_state_backend`): ``params`` and ``check_mode``;
:class:`ServerStateBackend` itself takes the parameter dict and a :class:`.runtime.RuntimeAPI`, so
unit tests pass a fake transport, clock and sleep. The parsing of HAProxy's answers is pure
(:mod:`.runtime`).
"""

from __future__ import annotations

import socket
import time

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._haproxy.runtime import (
    ADMF_CMAINT,
    ADMF_IMAINT,
    HAProxyRuntimeError,
    RuntimeAPI,
    describe_admin_flags,
)

__metaclass__ = type


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


class ServerStateBackend:
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


def server_state_backend(module):
    """The back end talks to HAProxy's runtime API and reads only the parameters, not the module."""
    api = RuntimeAPI(unix_transport(module.params["socket"], module.params["timeout"]))
    return ServerStateBackend(api, module.params, check_mode=module.check_mode)
