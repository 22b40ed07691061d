# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The current state of a RabbitMQ node from ``rabbitmqctl export_definitions`` (pure).

:func:`parse_export` turns the export's JSON into the normalised shapes of :mod:`.definitions`;
:func:`password_matches` checks a declared password against an exported hash, so an unchanged
password is not set again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.definitions import _tags

__metaclass__ = type


HASHING_ALGORITHMS = {
    "rabbit_password_hashing_sha256": hashlib.sha256,
    "rabbit_password_hashing_sha512": hashlib.sha512,
    "rabbit_password_hashing_md5": hashlib.md5,
}


def parse_version(text):
    numbers = re.findall(r"\d+", text or "")
    return tuple(int(n) for n in numbers[:3]) if numbers else (0, 0, 0)


def parse_export(data):
    """Turn the JSON of ``rabbitmqctl export_definitions`` into comparable dictionaries."""
    if isinstance(data, str):
        data = json.loads(data)
    state = {
        "version": parse_version(data.get("rabbitmq_version") or data.get("rabbit_version")),
        "vhosts": {},
        "users": {},
        "permissions": {},
        "topic_permissions": {},
        "policies": {},
        "queues": {},
    }
    for vhost in data.get("vhosts", []):
        meta = dict(vhost.get("metadata") or {})
        for key in ("description", "tags", "default_queue_type"):
            if key not in meta and key in vhost:
                meta[key] = vhost[key]
        dqt = meta.get("default_queue_type")
        state["vhosts"][vhost["name"]] = {
            "description": meta.get("description") or "",
            "tags": _tags(meta.get("tags")),
            "default_queue_type": None if dqt in (None, "undefined", "") else dqt,
        }
    for user in data.get("users", []):
        state["users"][user["name"]] = {
            "password_hash": user.get("password_hash") or "",
            "hashing_algorithm": user.get("hashing_algorithm") or "rabbit_password_hashing_sha256",
            "tags": _tags(user.get("tags")),
        }
    for perm in data.get("permissions", []):
        state["permissions"][(perm["user"], perm["vhost"])] = {
            "configure": perm.get("configure", ""),
            "write": perm.get("write", ""),
            "read": perm.get("read", ""),
        }
    for perm in data.get("topic_permissions", []):
        state["topic_permissions"][(perm["user"], perm["vhost"], perm["exchange"])] = {
            "write": perm.get("write", ""),
            "read": perm.get("read", ""),
        }
    for policy in data.get("policies", []):
        definition = policy.get("definition") or {}
        if isinstance(definition, str):
            definition = json.loads(definition)
        state["policies"][(policy["vhost"], policy["name"])] = {
            "pattern": policy.get("pattern"),
            "apply_to": policy.get("apply-to") or policy.get("apply_to") or "all",
            "priority": int(policy.get("priority") or 0),
            "definition": definition,
        }
    for queue in data.get("queues", []):
        state["queues"][queue["vhost"]] = state["queues"].get(queue["vhost"], 0) + 1
    return state


def password_matches(password, password_hash, algorithm="rabbit_password_hashing_sha256"):
    """True when ``password`` is the one RabbitMQ stored as ``password_hash``.

    RabbitMQ stores base64(salt + H(salt + password)) with a 4-byte salt, so the check needs no call to
    the broker and no password on a command line.
    """
    if not password_hash:
        return password in (None, "")
    hasher = HASHING_ALGORITHMS.get(algorithm)
    if hasher is None:
        return False
    try:
        raw = base64.b64decode(password_hash)
    except (ValueError, TypeError):
        return False
    salt, digest = raw[:4], raw[4:]
    return hasher(salt + (password or "").encode("utf-8")).digest() == digest
