#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: haproxy_server_state
short_description: Drain, disable or enable an HAProxy backend server through the runtime API
version_added: 0.1.0
description:
  - Sets the administrative state of one server of a backend of a running HAProxy through its runtime API
    socket (C(stats socket ... level admin)), and waits until the change has taken effect.
  - V(drain) stops sending new traffic to the server while sessions in flight finish; the module waits
    until the server has no current or queued session.
  - If the sessions have not ended after O(wait_timeout), O(on_timeout) decides; a server on its way to
    V(maint) then stays in V(drain).
  - V(maint) takes the server out of the load balancing entirely (health checks stop too). By default it
    drains the server first and waits for its sessions to end (O(drain_first)).
  - V(ready) puts the server back; the module waits until its health checks report it UP.
  - The change is made at runtime only. It lasts until HAProxy restarts; a reload keeps it when HAProxy
    is configured with a server-state file, otherwise the configuration's state comes back.
  - Runs on the load balancer host (use C(delegate_to) from a play over the backend hosts).
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
    details: Reports what it would change; does not wait.
  diff_mode:
    support: full
    description: Returns before and after administrative state (and weight) of the server.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
options:
  socket:
    description: Path of the HAProxy runtime API socket (admin level).
    type: path
    default: /run/haproxy/admin.sock
  backend:
    description: Name of the backend that holds the server.
    type: str
    required: true
  server:
    description: Name of the server in that backend (the role names servers after inventory hosts).
    type: str
    required: true
  state:
    description:
      - V(ready) serves traffic, V(drain) takes no new traffic, V(maint) is out of service.
    type: str
    choices: [ready, drain, maint]
    default: ready
  drain_first:
    description:
      - With O(state=maint) on a server that serves traffic, drain it first, wait for its sessions to end
        (see O(wait)), then put it in maintenance. V(false) goes to maintenance at once.
    type: bool
    default: true
  weight:
    description: Also set the server's weight (0-256). V(0) stops new traffic like V(drain), keeping checks.
    type: int
  wait:
    description:
      - Wait until sessions have drained (O(state=drain), O(state=maint)) or the server is UP (O(state=ready)).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait at most.
    type: int
    default: 300
  wait_interval:
    description: Seconds between two polls of the runtime API.
    type: float
    default: 1.0
  on_timeout:
    description:
      - What to do when O(wait_timeout) passes first.
      - V(fail) fails the task (the state change stays in place).
      - V(shutdown_sessions) cuts the remaining sessions of the server (destructive for their clients).
      - V(continue) reports the remaining sessions and succeeds.
    type: str
    choices: [fail, shutdown_sessions, continue]
    default: fail
  timeout:
    description: Seconds to wait for one answer of the runtime API.
    type: float
    default: 5.0
notes:
  - Needs C(level admin) on the stats socket; the P(ironclad.infra.haproxy#role) role configures it.
seealso:
  - name: HAProxy management guide, runtime API
    description: The commands this module sends (show servers state, show stat, set server).
    link: https://docs.haproxy.org/2.6/management.html#9.3
"""

EXAMPLES = r"""
- name: Drain web1 on every load balancer before maintenance
  ironclad.infra.haproxy_server_state:
    backend: web
    server: "{{ inventory_hostname }}"
    state: drain
    wait_timeout: 120
  delegate_to: "{{ item }}"
  loop: "{{ groups['loadbalancers'] }}"

- name: Take it out completely, cutting what is left after a minute
  ironclad.infra.haproxy_server_state:
    backend: web
    server: web1
    state: maint
    wait_timeout: 60
    on_timeout: shutdown_sessions

- name: Put it back and wait until health checks pass
  ironclad.infra.haproxy_server_state:
    backend: web
    server: web1
    state: ready
"""

RETURN = r"""
backend:
  description: The backend.
  returned: always
  type: str
  sample: web
server:
  description: The server.
  returned: always
  type: str
  sample: web1
previous_state:
  description: Administrative state before the task.
  returned: always
  type: str
  sample: ready
state:
  description: Administrative state after the task (the wanted one in check mode).
  returned: always
  type: str
  sample: drain
operational:
  description: Health state as HAProxy sees it (UP, DOWN, STARTING, STOPPING).
  returned: always
  type: str
  sample: UP
admin_flags:
  description: Every administrative flag set on the server before the task.
  returned: always
  type: list
  elements: str
  sample: [forced drain]
weight:
  description: Weight of the server after the task.
  returned: always
  type: int
  sample: 100
sessions:
  description: Sessions left on the server when waiting ended (null when the module did not wait for them).
  returned: always
  type: int
  sample: 0
drained:
  description: Whether the sessions drained before O(wait_timeout) (null when the module did not wait for them).
  returned: always
  type: bool
  sample: true
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 2.5
actions:
  description: What the module did (or would do in check mode).
  returned: always
  type: list
  elements: str
  sample: [set web/web1 to drain]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._haproxy.backend import HAProxyRuntimeError, server_state_backend
from ansible_collections.ironclad.infra.plugins.module_utils._haproxy.spec import ARGUMENT_SPEC


def parameter_error(module):
    weight = module.params["weight"]
    if weight is not None and not 0 <= weight <= 256:
        return "weight must be between 0 and 256 (HAProxy's range), got %d" % weight
    if module.params["wait_timeout"] < 0 or module.params["wait_interval"] <= 0:
        return "wait_timeout must be >= 0 and wait_interval > 0"
    return None


def runtime_failure(exc, manager):
    """A failed command still reports what was done before it (a drain already sent, ...)."""
    return dict(msg=str(exc), actions=manager.tracker.actions)


def main():
    run_module(
        ARGUMENT_SPEC,
        server_state_backend,
        {HAProxyRuntimeError: runtime_failure},
        precheck=parameter_error,
        diff_mode_only=True,
    )


if __name__ == "__main__":
    main()
