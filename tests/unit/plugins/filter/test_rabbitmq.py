"""The rabbitmq_definitions_errors filter."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.filter.rabbitmq import FilterModule, rabbitmq_definitions_errors


def test_filter_is_registered():
    assert FilterModule().filters()["rabbitmq_definitions_errors"] is rabbitmq_definitions_errors


def test_valid_definitions_give_no_errors():
    assert rabbitmq_definitions_errors([{"name": "/"}], [{"name": "u", "permissions": [{"vhost": "/"}]}], []) == []


def test_role_labels_name_the_variables():
    errors = rabbitmq_definitions_errors(
        [{"name": "/"}],
        [{"name": "app", "permissions": [{"vhost": "shop"}]}],
        [{"name": "ttl", "pattern": ".*", "definition": {"message-ttl": "soon"}}],
        labels={"vhosts": "rabbitmq_vhosts", "users": "rabbitmq_users", "policies": "rabbitmq_policies"},
    )
    assert errors == [
        "rabbitmq_users[0] 'app' permissions[0]: the permission names vhost 'shop', which is not declared in rabbitmq_vhosts (declared: /)",
        "rabbitmq_policies[0] 'ttl' (vhost '/'): policy key 'message-ttl' must be a non-negative integer, got 'soon'",
    ]


def test_default_vhost_is_protected_by_default():
    assert rabbitmq_definitions_errors([], [{"name": "u", "permissions": [{"vhost": "/"}]}]) == []
    assert rabbitmq_definitions_errors([], [{"name": "u", "permissions": [{"vhost": "/"}]}], protected_vhosts=[]) != []


def test_not_a_list():
    with pytest.raises(AnsibleFilterError, match="users must be a list, got dict"):
        rabbitmq_definitions_errors([], {"name": "u"})
