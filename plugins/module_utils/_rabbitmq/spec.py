# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of ``ironclad.infra.rabbitmq_definitions``, documented in that module's DOCUMENTATION.
The choices come from the vocabulary of :mod:`.definitions`."""

from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.definitions import APPLY_TO, QUEUE_TYPES, REMOVABLE_KINDS

__metaclass__ = type

_REGEX = dict(type="str", default="^$")

ARGUMENT_SPEC = dict(
    vhosts=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        description=dict(type="str"),
        tags=dict(type="list", elements="str"),
        default_queue_type=dict(type="str", choices=list(QUEUE_TYPES)),
    )),
    users=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        password=dict(type="str", no_log=True),
        tags=dict(type="list", elements="str", default=[]),
        permissions=dict(type="list", elements="dict", default=[], options=dict(
            vhost=dict(type="str", default="/"),
            configure=dict(_REGEX),
            write=dict(_REGEX),
            read=dict(_REGEX),
        )),
        topic_permissions=dict(type="list", elements="dict", default=[], options=dict(
            vhost=dict(type="str", default="/"),
            exchange=dict(type="str", default="amq.topic"),
            write=dict(_REGEX),
            read=dict(_REGEX),
        )),
    )),
    policies=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        vhost=dict(type="str", default="/"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        pattern=dict(type="str"),
        apply_to=dict(type="str", choices=list(APPLY_TO), default="all"),
        priority=dict(type="int", default=0),
        definition=dict(type="dict"),
    )),
    protected_users=dict(type="list", elements="str", default=[]),
    protected_vhosts=dict(type="list", elements="str", default=["/"]),
    remove_undeclared=dict(type="list", elements="str", choices=list(REMOVABLE_KINDS), default=list(REMOVABLE_KINDS)),
    delete_vhosts_with_queues=dict(type="bool", default=False),
    extra_policy_keys=dict(type="list", elements="str", default=[], no_log=False),
    node=dict(type="str"),
    rabbitmqctl_path=dict(type="path", default="rabbitmqctl"),
)
