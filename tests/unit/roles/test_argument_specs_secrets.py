"""Every secret a role takes is marked no_log in its argument spec, so validation never prints it.

A role's argument spec is checked by ansible's validate_argument_spec before the role's first task;
an option with ``no_log: true`` is masked in that check's messages and results. The test walks every
option of every entry point of every role (suboptions too) and calls an option a secret by its name.
"""

from __future__ import annotations

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SPEC_FILES = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")))
# Names that hold a secret value: passwords, passphrases, cookies, tokens, pre-shared and private keys.
SECRET_NAME = re.compile(r"(password|passphrase|passwd|secret|cookie|token|auth_pass|private_key|preshared|psk)$")
# Options whose names match but hold no secret (a switch, a count, an algorithm name).
NOT_SECRETS = {"password_authentication", "permit_empty_passwords", "password_hash_algorithm"}


def walk(options, path):
    for name, spec in (options or {}).items():
        yield "%s.%s" % (path, name) if path else name, name, spec
        yield from walk(spec.get("options"), "%s.%s" % (path, name) if path else name)


def secret_options():
    found = []
    for spec_file in SPEC_FILES:
        role = spec_file.split(os.sep)[-3]
        with open(spec_file, encoding="utf-8") as handle:
            entry_points = yaml.safe_load(handle)["argument_specs"]
        for entry_point, spec in entry_points.items():
            for path, name, option in walk(spec.get("options"), ""):
                bare = name.split("_", 1)[1] if name.startswith(role + "_") else name
                if SECRET_NAME.search(name) and bare not in NOT_SECRETS and option.get("type", "str") in ("str", "raw"):
                    found.append(("%s:%s" % (role, entry_point), path, option))
    return found


def test_the_walk_finds_the_known_secrets():
    # A walk that finds nothing proves nothing: these secrets exist in the roles.
    paths = {path for _role, path, _option in secret_options()}
    assert {"pki_ca_passphrase", "rabbitmq_erlang_cookie", "haproxy_stats_password", "rabbitmq_users.password"} <= paths


@pytest.mark.parametrize("role, path, option", secret_options(), ids=lambda value: value if isinstance(value, str) else "")
def test_every_secret_option_is_no_log(role, path, option):
    assert option.get("no_log") is True, "%s: option %s holds a secret and must be no_log: true" % (role, path)
