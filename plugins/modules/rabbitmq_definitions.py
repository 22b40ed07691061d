#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rabbitmq_definitions
short_description: Declare RabbitMQ vhosts, users, permissions and policies; remove what is not declared
version_added: 0.1.0
description:
  - Makes a RabbitMQ cluster's virtual hosts, users (with tags, permissions and topic permissions) and
    policies exactly what is declared, in one call. Vhosts, users, permissions and policies that are not
    declared are removed, except the protected ones (O(protected_users), O(protected_vhosts)) and the
    kinds left out of O(remove_undeclared).
  - Community modules such as M(community.rabbitmq.rabbitmq_user) manage one object at a time and cannot
    remove what nobody declared; this module reads the whole state once (C(rabbitmqctl export_definitions))
    and plans every change before making the first.
  - Everything is validated before any change. A malformed policy, a permission or policy on a vhost that
    is not declared, or an C(apply_to) value the running RabbitMQ version does not know fails with a
    message naming the item, and nothing is changed.
  - Passwords are compared with the stored salted hashes locally and passed to C(rabbitmqctl) on standard
    input, never on a command line.
  - Runs C(rabbitmqctl) on the target node; run it once per cluster (C(run_once)).
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reads the definitions and reports the actions it would take; changes nothing.
  diff_mode:
    support: full
    description: Shows each changed vhost, user, permission and policy; passwords only as a masked value.
  idempotent:
    support: full
    description: A second run with the same input reports no change and runs only C(export_definitions).
options:
  vhosts:
    description: Virtual hosts.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the vhost.
        type: str
        required: true
      state:
        description: V(absent) deletes the vhost (with its queues only under O(delete_vhosts_with_queues)).
        type: str
        choices: [present, absent]
        default: present
      description:
        description: Description (not compared when omitted).
        type: str
      tags:
        description: Tags (not compared when omitted).
        type: list
        elements: str
      default_queue_type:
        description:
          - Queue type that queues declared without C(x-queue-type) get. Not compared when omitted.
          - On RabbitMQ 3.10 (Debian 12), which has no C(update_vhost_metadata), the metadata of an existing
            vhost is updated through C(rabbitmqctl eval) of the broker's own C(rabbit_vhost) functions.
        type: str
        choices: [classic, quorum, stream]
  users:
    description: Users of the internal database.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      state:
        description: V(absent) deletes the user.
        type: str
        choices: [present, absent]
        default: present
      password:
        description:
          - Password. Omitted on an existing user, the password is left as it is; omitted on a new user,
            the user gets no password (for certificate authentication).
        type: str
      tags:
        description: User tags such as V(administrator), V(monitoring), V(management).
        type: list
        elements: str
        default: []
      permissions:
        description: Permissions per vhost. The list is authoritative for this user.
        type: list
        elements: dict
        default: []
        suboptions:
          vhost:
            description: Vhost; it must be declared in O(vhosts) or protected.
            type: str
            default: /
          configure:
            description: Regular expression of resources the user may configure.
            type: str
            default: ^$
          write:
            description: Regular expression of resources the user may write to.
            type: str
            default: ^$
          read:
            description: Regular expression of resources the user may read from.
            type: str
            default: ^$
      topic_permissions:
        description: Topic permissions per vhost and exchange. The list is authoritative for this user.
        type: list
        elements: dict
        default: []
        suboptions:
          vhost:
            description: Vhost; it must be declared in O(vhosts) or protected.
            type: str
            default: /
          exchange:
            description: Topic exchange.
            type: str
            default: amq.topic
          write:
            description: Regular expression of routing keys the user may publish with.
            type: str
            default: ^$
          read:
            description: Regular expression of routing keys the user may bind with.
            type: str
            default: ^$
  policies:
    description: Policies.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Policy name.
        type: str
        required: true
      vhost:
        description: Vhost; it must be declared in O(vhosts) or protected.
        type: str
        default: /
      state:
        description: V(absent) removes the policy.
        type: str
        choices: [present, absent]
        default: present
      pattern:
        description: Regular expression of the queue or exchange names the policy applies to.
        type: str
      apply_to:
        description:
          - What the policy applies to. V(classic_queues), V(quorum_queues) and V(streams) need RabbitMQ 3.12
            or later.
        type: str
        choices: [all, queues, exchanges, classic_queues, quorum_queues, streams]
        default: all
      priority:
        description: Priority; of the policies matching a queue, only the one with the highest priority applies.
        type: int
        default: 0
      definition:
        description:
          - Policy keys and values, for example C(delivery-limit) with V(20). Unknown keys and values of the
            wrong type fail before any change.
        type: dict
  protected_users:
    description: Users that are kept although not declared (declare one with V(state=absent) to delete it).
    type: list
    elements: str
    default: []
  protected_vhosts:
    description: Vhosts that are kept although not declared.
    type: list
    elements: str
    default: [/]
  remove_undeclared:
    description: Kinds of objects that are removed when not declared. V([]) only adds and updates.
    type: list
    elements: str
    choices: [vhosts, users, permissions, topic_permissions, policies]
    default: [vhosts, users, permissions, topic_permissions, policies]
  delete_vhosts_with_queues:
    description:
      - Allow deleting a vhost that still holds queues (and their messages). Without it such a deletion
        fails before any change, naming the vhosts.
    type: bool
    default: false
  extra_policy_keys:
    description: Policy keys to accept besides the built-in list (keys of plugins).
    type: list
    elements: str
    default: []
  node:
    description: Node to talk to (C(rabbitmqctl -n)); the local node when omitted.
    type: str
  rabbitmqctl_path:
    description: Path of C(rabbitmqctl).
    type: path
    default: rabbitmqctl
seealso:
  - module: community.rabbitmq.rabbitmq_user
  - module: community.rabbitmq.rabbitmq_policy
  - name: ironclad.infra.rabbitmq_definitions_errors filter
    description: The same validation, usable before anything runs.
    link: https://github.com/ironclad/infra/tree/main/plugins/filter
"""

EXAMPLES = r"""
- name: Declare the broker's vhosts, users and policies
  ironclad.infra.rabbitmq_definitions:
    vhosts:
      - name: /
        default_queue_type: quorum
      - name: orders
        description: Order processing
        default_queue_type: quorum
    users:
      - name: admin
        password: "{{ vault_rabbitmq_admin_password }}"
        tags: [administrator]
        permissions:
          - {vhost: /, configure: ".*", write: ".*", read: ".*"}
      - name: orders-app
        password: "{{ vault_rabbitmq_orders_password }}"
        permissions:
          - {vhost: orders, configure: "^orders\\.", write: "^orders\\.", read: "^orders\\."}
    policies:
      - name: quorum-defaults
        vhost: orders
        pattern: ".*"
        apply_to: queues
        definition:
          delivery-limit: 20
  run_once: true
"""

RETURN = r"""
actions:
  description: What was done (or would be done in check mode), one sentence per change.
  returned: always
  type: list
  elements: str
  sample: ["create vhost 'orders'", "delete user 'guest'"]
rabbitmq_version:
  description: RabbitMQ version of the node.
  returned: always
  type: str
  sample: 3.10.8
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.backend import DefinitionsBackend, DefinitionsError
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.spec import ARGUMENT_SPEC


def main():
    run_module(ARGUMENT_SPEC, DefinitionsBackend, {DefinitionsError: "%s"})


if __name__ == "__main__":
    main()
