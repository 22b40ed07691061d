# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the rabbitmq role: validate declared definitions before anything changes."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.definitions import validate_definitions

__metaclass__ = type


def rabbitmq_definitions_errors(vhosts, users=None, policies=None, protected_vhosts=None, extra_policy_keys=None, labels=None):
    """Return the problems of declared RabbitMQ definitions as a list of messages (empty = valid)."""
    for name, value in (("vhosts", vhosts), ("users", users), ("policies", policies)):
        if value is not None and not isinstance(value, list):
            raise AnsibleFilterError("rabbitmq_definitions_errors: %s must be a list, got %s" % (name, type(value).__name__))
    return validate_definitions(
        vhosts or [],
        users or [],
        policies or [],
        protected_vhosts=protected_vhosts if protected_vhosts is not None else ["/"],
        extra_policy_keys=extra_policy_keys or [],
        labels=labels,
    )


class FilterModule:
    def filters(self):
        return {"rabbitmq_definitions_errors": rabbitmq_definitions_errors}
