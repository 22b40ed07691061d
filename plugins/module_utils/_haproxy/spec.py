# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of ``ironclad.infra.haproxy_server_state``, documented in that module's DOCUMENTATION."""

from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._haproxy.runtime import STATES

__metaclass__ = type

ARGUMENT_SPEC = dict(
    socket=dict(type="path", default="/run/haproxy/admin.sock"),
    backend=dict(type="str", required=True),
    server=dict(type="str", required=True),
    state=dict(type="str", choices=list(STATES), default="ready"),
    drain_first=dict(type="bool", default=True),
    weight=dict(type="int"),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=300),
    wait_interval=dict(type="float", default=1.0),
    on_timeout=dict(type="str", choices=["fail", "shutdown_sessions", "continue"], default="fail"),
    timeout=dict(type="float", default=5.0),
)
