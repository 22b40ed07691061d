"""Validation, export parsing, password hashes and planning of RabbitMQ definitions (pure functions)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.definitions import DefinitionsError, validate_definitions, validate_policy_definition
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.export import parse_export, password_matches
from ansible_collections.ironclad.infra.plugins.module_utils._rabbitmq.planner import Planner, vhost_metadata_eval

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")

# What a fresh Debian 12 node (RabbitMQ 3.10.8) exports: guest with the password guest, vhost / without a
# default queue type.
FRESH = {
    "rabbit_version": "3.10.8",
    "rabbitmq_version": "3.10.8",
    "users": [{"name": "guest", "password_hash": "g7PvTnS0Oh5OH0GRoJniF7qNdQ4rtybahRO0Go3c1+kXGrm3",
               "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"], "limits": {}}],
    "vhosts": [{"name": "/", "limits": [], "metadata": {"description": "Default virtual host", "tags": []}}],
    "permissions": [{"user": "guest", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}],
    "topic_permissions": [],
    "parameters": [],
    "global_parameters": [],
    "policies": [],
    "queues": [],
    "exchanges": [],
    "bindings": [],
}

# The definitions the Molecule scenario declares (the role adds the quorum policy and removes guest).
VHOSTS = [{"name": "/", "default_queue_type": "quorum"},
          {"name": "orders", "description": "Orders of the durability test", "default_queue_type": "quorum"}]
USERS = [
    {"name": "admin", "password": "molecule-admin-pw", "tags": ["administrator"],
     "permissions": [{"vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
                     {"vhost": "orders", "configure": ".*", "write": ".*", "read": ".*"}]},
    {"name": "orders-app", "password": "molecule-orders-pw",
     "permissions": [{"vhost": "orders", "configure": "^orders\\.", "write": "^orders\\.", "read": "^orders\\."}]},
    {"name": "monitor", "password": "molecule-monitor-pw", "tags": ["monitoring"]},
    {"name": "guest", "state": "absent"},
]
POLICIES = [
    {"name": "quorum-defaults", "vhost": "/", "pattern": ".*", "apply_to": "queues", "priority": 0,
     "definition": {"delivery-limit": 20}},
    {"name": "quorum-defaults", "vhost": "orders", "pattern": ".*", "apply_to": "queues", "priority": 0,
     "definition": {"delivery-limit": 20}},
    {"name": "short-lived", "vhost": "orders", "pattern": "^orders\\.tmp\\.", "apply_to": "queues", "priority": 1,
     "definition": {"expires": 600000, "message-ttl": 60000}},
]


def converged_export():
    with open(os.path.join(FIXTURES, "rabbitmq_export_3.10.json")) as handle:
        return json.load(handle)


def plan(export, vhosts=None, users=None, policies=None, **kwargs):
    planner = Planner(parse_export(copy.deepcopy(export)),
                      VHOSTS if vhosts is None else vhosts,
                      USERS if users is None else users,
                      POLICIES if policies is None else policies, **kwargs)
    commands = planner.plan()
    return planner, commands


# --- validation ---------------------------------------------------------------------------------------


def test_scenario_definitions_are_valid():
    assert validate_definitions(VHOSTS, USERS, POLICIES) == []


def test_permission_on_unknown_vhost_names_user_and_vhost():
    users = [{"name": "app", "permissions": [{"vhost": "shop", "configure": ".*"}]}]
    errors = validate_definitions(VHOSTS, users, [], labels={"users": "rabbitmq_users", "vhosts": "rabbitmq_vhosts"})
    assert errors == [
        "rabbitmq_users[0] 'app' permissions[0]: the permission names vhost 'shop', which is not declared in "
        "rabbitmq_vhosts (declared: /, orders)"
    ]


def test_protected_vhost_may_be_named_without_declaring_it():
    users = [{"name": "app", "permissions": [{"vhost": "/"}]}]
    assert validate_definitions([], users, [], protected_vhosts=["/"]) == []
    assert "not declared" in validate_definitions([], users, [], protected_vhosts=[])[0]


def test_permission_on_vhost_declared_absent():
    errors = validate_definitions([{"name": "old", "state": "absent"}], [{"name": "u", "permissions": [{"vhost": "old"}]}], [])
    assert errors == ["users[0] 'u' permissions[0]: the permission names vhost 'old', which is declared with state absent"]


@pytest.mark.parametrize(
    "policy, message",
    [
        ({"name": "p", "pattern": ".*", "definition": {"max-length": "lots"}},
         "policies[0] 'p' (vhost '/'): policy key 'max-length' must be a non-negative integer, got 'lots'"),
        ({"name": "p", "pattern": ".*", "definition": {"ha-mod": "all"}},
         "policies[0] 'p' (vhost '/'): unknown policy key 'ha-mod'"),
        ({"name": "p", "pattern": "([a-z", "definition": {"max-length": 1}},
         "policies[0] 'p' (vhost '/'): pattern is not a valid regular expression"),
        ({"name": "p", "definition": {"max-length": 1}},
         "policies[0] 'p' (vhost '/'): 'pattern' is required"),
        ({"name": "p", "pattern": ".*", "definition": {}},
         "policies[0] 'p' (vhost '/'): definition must be a non-empty mapping"),
        ({"name": "p", "pattern": ".*", "apply_to": "queue", "definition": {"max-length": 1}},
         "policies[0] 'p' (vhost '/'): apply_to must be one of"),
        ({"name": "p", "pattern": ".*", "priority": -1, "definition": {"max-length": 1}},
         "policies[0] 'p' (vhost '/'): priority must be a non-negative integer"),
        ({"name": "p", "vhost": "shop", "pattern": ".*", "definition": {"max-length": 1}},
         "policies[0] 'p' (vhost 'shop'): the policy names vhost 'shop', which is not declared"),
        ({"name": "p", "pattern": ".*", "definition": {"overflow": "drop-tail"}},
         "policy key 'overflow' must be one of 'drop-head', 'reject-publish', 'reject-publish-dlx', got 'drop-tail'"),
        ({"name": "p", "pattern": ".*", "definition": {"max-age": "7 days"}},
         "policy key 'max-age' must be a duration"),
        ({"pattern": ".*", "definition": {"max-length": 1}},
         "policies[0]: 'name' is required"),
    ],
)
def test_malformed_policy_is_named(policy, message):
    errors = validate_definitions([{"name": "/"}], [], [policy])
    assert len(errors) == 1, errors
    assert message in errors[0]


def test_boolean_is_not_an_integer():
    assert validate_policy_definition({"max-length": True}) == [
        "policy key 'max-length' must be a non-negative integer, got True"]


def test_extra_policy_keys_are_accepted():
    assert validate_policy_definition({"shovel-thing": 1}, extra_keys=["shovel-thing"]) == []


def test_ha_mode_exactly_needs_params():
    assert validate_policy_definition({"ha-mode": "exactly"}) == ["policy key 'ha-mode: exactly' needs 'ha-params'"]
    assert validate_policy_definition({"ha-mode": "exactly", "ha-params": 2}) == []


def test_duplicates_and_missing_names():
    errors = validate_definitions(
        [{"name": "a"}, {"name": "a"}, {}],
        [{"name": "u"}, {"name": "u"}, "bob"],
        [{"name": "p", "vhost": "a", "pattern": ".", "definition": {"max-length": 1}}] * 2,
    )
    assert errors == [
        "vhosts[1] 'a': vhost 'a' is declared twice",
        "vhosts[2]: 'name' is required and must be a non-empty string",
        "users[1] 'u': user 'u' is declared twice",
        "users[2] must be a mapping with at least 'name', got 'bob'",
        "policies[1] 'p' (vhost 'a'): policy 'p' is declared twice on vhost 'a'",
    ]


def test_every_collection_checks_shape_name_and_state_in_input_order():
    errors = validate_definitions(
        [{"name": "a", "state": "gone"}, "v", {"name": ""}],
        [7, {"name": "u", "state": "maybe"}],
        [["p"], {"name": "p", "vhost": "a", "state": "later", "pattern": ".", "definition": {"max-length": 1}}],
    )
    assert errors == [
        "vhosts[0] 'a': state must be one of present, absent, got 'gone'",
        "vhosts[1] must be a mapping with at least 'name', got 'v'",
        "vhosts[2]: 'name' is required and must be a non-empty string",
        "users[0] must be a mapping with at least 'name', got 7",
        "users[1] 'u': state must be one of present, absent, got 'maybe'",
        "policies[0] must be a mapping with 'name', 'pattern' and 'definition', got ['p']",
        "policies[1] 'p' (vhost 'a'): state must be one of present, absent, got 'later'",
    ]


def test_invalid_permission_regex_and_duplicate_vhost():
    users = [{"name": "u", "permissions": [{"vhost": "/", "read": "(("}, {"vhost": "/"}]}]
    errors = validate_definitions([{"name": "/"}], users, [])
    assert errors[0].startswith("users[0] 'u' permissions[0]: read is not a valid regular expression")
    assert errors[1] == "users[0] 'u' permissions[1]: a second entry for vhost '/'"


def test_bad_default_queue_type():
    assert validate_definitions([{"name": "/", "default_queue_type": "mirrored"}], [], []) == [
        "vhosts[0] '/': default_queue_type must be one of classic, quorum, stream, got 'mirrored'"]


# --- export and passwords -----------------------------------------------------------------------------


def test_parse_export_of_a_converged_cluster():
    state = parse_export(converged_export())
    assert state["version"] == (3, 10, 8)
    assert state["vhosts"]["orders"] == {"description": "Orders of the durability test", "tags": [],
                                         "default_queue_type": "quorum"}
    assert state["users"]["monitor"]["tags"] == ["monitoring"]
    assert state["permissions"][("orders-app", "orders")]["read"] == "^orders\\."
    assert state["policies"][("orders", "short-lived")]["definition"] == {"expires": 600000, "message-ttl": 60000}


def test_parse_export_of_4x_top_level_metadata_and_undefined_queue_type():
    data = dict(FRESH, rabbitmq_version="4.0.5",
                vhosts=[{"name": "/", "description": "d", "tags": "a,b", "default_queue_type": "undefined"}])
    state = parse_export(json.dumps(data))
    assert state["version"] == (4, 0, 5)
    assert state["vhosts"]["/"] == {"description": "d", "tags": ["a", "b"], "default_queue_type": None}


def test_password_matches_rabbitmq_hashes():
    # Hashes made by RabbitMQ 3.10.8 itself.
    assert password_matches("guest", FRESH["users"][0]["password_hash"])
    assert not password_matches("Guest", FRESH["users"][0]["password_hash"])
    admin = next(u for u in converged_export()["users"] if u["name"] == "admin")
    assert password_matches("molecule-admin-pw", admin["password_hash"], admin["hashing_algorithm"])


@pytest.mark.parametrize("algorithm, hasher", [("rabbit_password_hashing_sha512", hashlib.sha512),
                                               ("rabbit_password_hashing_md5", hashlib.md5)])
def test_password_matches_other_algorithms(algorithm, hasher):
    salt = b"\x01\x02\x03\x04"
    stored = base64.b64encode(salt + hasher(salt + b"pw").digest()).decode()
    assert password_matches("pw", stored, algorithm)
    assert not password_matches("px", stored, algorithm)


def test_password_matches_edge_cases():
    assert password_matches(None, "")
    assert not password_matches("pw", "")
    assert not password_matches("pw", "abc", "rabbit_password_hashing_unknown")
    assert not password_matches("pw", "%%%not-base64")


# --- planning -----------------------------------------------------------------------------------------


def argvs(commands):
    return [c.argv for c in commands]


def test_fresh_node_plan():
    planner, commands = plan(FRESH)
    assert argvs(commands) == [
        ["eval", vhost_metadata_eval("/", None, "quorum")],
        ["add_vhost", "orders", "--description", "Orders of the durability test", "--default-queue-type", "quorum"],
        ["add_user", "admin"],
        ["set_user_tags", "admin", "administrator"],
        ["add_user", "orders-app"],
        ["add_user", "monitor"],
        ["set_user_tags", "monitor", "monitoring"],
        ["set_permissions", "-p", "/", "admin", ".*", ".*", ".*"],
        ["set_permissions", "-p", "orders", "admin", ".*", ".*", ".*"],
        ["set_permissions", "-p", "orders", "orders-app", "^orders\\.", "^orders\\.", "^orders\\."],
        ["set_policy", "-p", "/", "--priority", "0", "--apply-to", "queues", "quorum-defaults", ".*", '{"delivery-limit": 20}'],
        ["set_policy", "-p", "orders", "--priority", "0", "--apply-to", "queues", "quorum-defaults", ".*", '{"delivery-limit": 20}'],
        ["set_policy", "-p", "orders", "--priority", "1", "--apply-to", "queues", "short-lived", "^orders\\.tmp\\.",
         '{"expires": 600000, "message-ttl": 60000}'],
        ["delete_user", "guest"],
    ]
    # Passwords only on standard input.
    assert [c.stdin for c in commands if c.argv[0] == "add_user"] == ["molecule-admin-pw", "molecule-orders-pw", "molecule-monitor-pw"]
    assert all("molecule-admin-pw" not in " ".join(c.argv) for c in commands)
    assert planner.tracker.changed
    assert "delete user 'guest'" in planner.tracker.actions


def test_converged_cluster_plans_nothing():
    planner, commands = plan(converged_export())
    assert commands == []
    assert not planner.tracker.changed
    assert planner.tracker.diff() == {"before": {}, "after": {}}


def test_changed_password_and_tags_masked_in_diff():
    users = copy.deepcopy(USERS)
    users[0]["password"] = "new-admin-pw"
    users[2]["tags"] = ["monitoring", "management"]
    planner, commands = plan(converged_export(), users=users)
    assert argvs(commands) == [["change_password", "admin"], ["set_user_tags", "monitor", "management", "monitoring"]]
    assert commands[0].stdin == "new-admin-pw"
    diff = planner.tracker.diff()
    assert diff["before"]["users.admin.password"] == "********"
    assert "new-admin-pw" not in json.dumps(diff)


def test_undeclared_objects_are_removed_and_protected_ones_kept():
    export = converged_export()
    export["users"].append({"name": "intruder", "password_hash": "", "tags": [], "limits": {},
                            "hashing_algorithm": "rabbit_password_hashing_sha256"})
    export["users"].append({"name": "ops", "password_hash": "", "tags": [], "limits": {},
                            "hashing_algorithm": "rabbit_password_hashing_sha256"})
    export["vhosts"].append({"name": "scratch", "metadata": {"description": "", "tags": []}})
    export["permissions"].append({"user": "orders-app", "vhost": "/", "configure": ".*", "write": "", "read": ""})
    export["permissions"].append({"user": "intruder", "vhost": "scratch", "configure": ".*", "write": "", "read": ""})
    export["policies"].append({"vhost": "/", "name": "legacy", "pattern": ".*", "apply-to": "all", "priority": 5,
                               "definition": {"max-length": 1}})
    export["policies"].append({"vhost": "scratch", "name": "gone-with-vhost", "pattern": ".*", "apply-to": "all",
                               "priority": 5, "definition": {"max-length": 1}})
    _planner, commands = plan(export, protected_users=["ops"])
    assert argvs(commands) == [
        ["clear_permissions", "-p", "/", "orders-app"],
        ["clear_policy", "-p", "/", "legacy"],
        ["delete_user", "intruder"],
        ["delete_vhost", "scratch"],
    ]


def test_vhosts_and_users_are_deleted_when_declared_absent_or_undeclared_and_unprotected():
    export = copy.deepcopy(FRESH)
    export["vhosts"] += [{"name": name, "metadata": {}} for name in ("scratch", "keep", "stray")]
    export["users"] += [{"name": name, "password_hash": "", "tags": [], "limits": {},
                         "hashing_algorithm": "rabbit_password_hashing_sha256"} for name in ("intruder", "ops")]
    declared = {"vhosts": [{"name": "/"}, {"name": "scratch", "state": "absent"}],
                "users": [{"name": "guest", "state": "absent"}], "policies": []}
    protected = {"protected_users": ["ops", "guest"], "protected_vhosts": ["/", "keep"]}
    _planner, commands = plan(export, **declared, **protected)
    assert argvs(commands) == [
        ["delete_user", "guest"],
        ["delete_user", "intruder"],
        ["delete_vhost", "scratch"],
        ["delete_vhost", "stray"],
    ]
    # Undeclared ones go only for the kinds in remove_undeclared; declared-absent ones always.
    _planner, commands = plan(export, remove_undeclared=["vhosts"], **declared, **protected)
    assert argvs(commands) == [["delete_user", "guest"], ["delete_vhost", "scratch"], ["delete_vhost", "stray"]]
    _planner, commands = plan(export, remove_undeclared=["users"], **declared, **protected)
    assert argvs(commands) == [["delete_user", "guest"], ["delete_user", "intruder"], ["delete_vhost", "scratch"]]


def test_remove_undeclared_can_be_limited():
    export = converged_export()
    export["vhosts"].append({"name": "scratch", "metadata": {}})
    export["policies"].append({"vhost": "/", "name": "legacy", "pattern": ".*", "apply-to": "all", "priority": 5,
                               "definition": {"max-length": 1}})
    _planner, commands = plan(export, remove_undeclared=["users"])
    assert commands == []


def test_vhost_with_queues_is_not_deleted_without_permission():
    export = converged_export()
    export["vhosts"].append({"name": "busy", "metadata": {}})
    export["queues"] = [{"name": "q1", "vhost": "busy"}, {"name": "q2", "vhost": "busy"}]
    with pytest.raises(DefinitionsError, match=r"'busy' \(2 queues\).*delete_vhosts_with_queues"):
        plan(export)
    _planner, commands = plan(export, delete_vhosts_with_queues=True)
    assert argvs(commands) == [["delete_vhost", "busy"]]


def test_invalid_definitions_raise_before_planning():
    with pytest.raises(DefinitionsError, match=r"(?s)nothing was changed.*vhost 'nope'"):
        plan(FRESH, users=[{"name": "u", "permissions": [{"vhost": "nope"}]}])


def test_apply_to_quorum_queues_needs_3_12():
    policies = [{"name": "q", "vhost": "/", "pattern": ".*", "apply_to": "quorum_queues", "definition": {"delivery-limit": 5}}]
    with pytest.raises(DefinitionsError, match=r"apply_to .quorum_queues. needs RabbitMQ 3\.12 or later, this cluster runs 3\.10\.8"):
        plan(FRESH, policies=policies)
    newer = dict(FRESH, rabbitmq_version="4.0.5")
    _planner, commands = plan(newer, policies=policies)
    assert ["set_policy", "-p", "/", "--priority", "0", "--apply-to", "quorum_queues", "q", ".*", '{"delivery-limit": 5}'] in argvs(commands)


def test_vhost_metadata_update_on_newer_rabbitmq_uses_the_cli():
    newer = dict(FRESH, rabbitmq_version="4.0.5")
    vhosts = [{"name": "/", "default_queue_type": "quorum", "tags": ["prod"], "description": "Main"}]
    _planner, commands = plan(newer, vhosts=vhosts, users=[], policies=[], remove_undeclared=[])
    assert argvs(commands) == [["update_vhost_metadata", "/", "--description", "Main", "--tags", "prod",
                                "--default-queue-type", "quorum"]]


def test_vhost_metadata_update_on_3_10_uses_eval():
    vhosts = [{"name": 'we"ird\\', "tags": ["a"]}]
    export = dict(FRESH, vhosts=FRESH["vhosts"] + [{"name": 'we"ird\\', "metadata": {"description": "", "tags": []}}])
    _planner, commands = plan(export, vhosts=vhosts, users=[], policies=[], remove_undeclared=[])
    assert argvs(commands) == [["eval", 'rabbit_vhost:update_tags(<<"we\\"ird\\\\"/utf8>>, [<<"a"/utf8>>], <<"ironclad.infra"/utf8>>), ok.']]


def test_user_without_password_gets_none():
    _planner, commands = plan(FRESH, vhosts=[], users=[{"name": "x509-client"}, {"name": "guest"}], policies=[])
    # Declared tags are authoritative: guest loses "administrator".
    assert argvs(commands) == [["add_user", "x509-client"], ["clear_password", "x509-client"],
                               ["set_user_tags", "guest"], ["clear_permissions", "-p", "/", "guest"]]


def test_topic_permissions():
    users = [{"name": "guest", "topic_permissions": [{"vhost": "/", "exchange": "amq.topic", "write": "^a", "read": ".*"}]}]
    export = copy.deepcopy(FRESH)
    export["topic_permissions"] = [{"user": "guest", "vhost": "/", "exchange": "old", "write": ".*", "read": ".*"}]
    _planner, commands = plan(export, vhosts=[], users=users, policies=[])
    assert argvs(commands) == [
        ["set_user_tags", "guest"],
        ["set_topic_permissions", "-p", "/", "guest", "amq.topic", "^a", ".*"],
        ["clear_permissions", "-p", "/", "guest"],
        ["clear_topic_permissions", "-p", "/", "guest", "old"],
    ]


def test_explicit_absent_removes_protected_objects():
    export = copy.deepcopy(FRESH)
    export["policies"] = [{"vhost": "/", "name": "old", "pattern": ".", "apply-to": "all", "priority": 0, "definition": {"max-length": 1}}]
    _planner, commands = plan(export, vhosts=[], users=[{"name": "guest", "state": "absent"}],
                              policies=[{"name": "old", "state": "absent"}],
                              protected_users=["guest"], remove_undeclared=[])
    assert argvs(commands) == [["clear_policy", "-p", "/", "old"], ["delete_user", "guest"]]
