# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy runtime API: a small client and parsers for its answers.

The runtime API is the ``stats socket`` of HAProxy (``level admin``). Every command is sent on a fresh
connection (non-interactive mode): write one line, read until HAProxy closes the socket.

Layers, from pure to side effects:

* ``parse_servers_state`` / ``parse_stat_csv`` / ``admin_state``: text in, data out.
* ``RuntimeAPI``: sends commands through a transport (a UNIX socket by default; tests pass a fake).
* ``ServerStateBackend``: read current state, compare with the wanted one (``DifferenceTracker``),
  act unless in check mode, then wait for sessions to drain or for health checks to pass.
"""

from __future__ import annotations

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
