# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of ``ironclad.infra.iptables_ruleset``, documented in that module's DOCUMENTATION."""

from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._iptables.ruleset import DEFAULT_PRESERVE_CHAINS, DEFAULT_PRESERVE_RULES, TABLE_ORDER
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.tokens import IPV4, IPV6

__metaclass__ = type

ARGUMENT_SPEC = dict(
    family=dict(type="list", elements="str", choices=[IPV4, IPV6], default=[IPV4, IPV6]),
    tables=dict(type="list", elements="str", choices=list(TABLE_ORDER)),
    chains=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        table=dict(type="str", default="filter", choices=list(TABLE_ORDER)),
        policy=dict(type="str", choices=["ACCEPT", "DROP"]),
        rules=dict(type="list", elements="raw", default=[]),
        create=dict(type="bool", default=True),
        family=dict(type="list", elements="str", choices=[IPV4, IPV6], default=[IPV4, IPV6]),
    )),
    preserve_chains=dict(type="list", elements="str", default=list(DEFAULT_PRESERVE_CHAINS)),
    preserve_rules=dict(type="list", elements="str", default=list(DEFAULT_PRESERVE_RULES)),
    rollback_timeout=dict(type="int"),
    lockout_guard=dict(type="dict", options=dict(
        force=dict(type="bool", default=False),
        client_address=dict(type="str"),
        server_port=dict(type="int"),
    )),
    confirm=dict(type="str"),
    persist=dict(type="bool", default=False),
    persist_paths=dict(type="dict", options=dict(
        ipv4=dict(type="path", default="/etc/iptables/rules.v4"),
        ipv6=dict(type="path", default="/etc/iptables/rules.v6"),
    )),
    state_dir=dict(type="path", default="/run/ironclad-iptables"),
)
