"""Every module's DOCUMENTATION (doc fragments merged, read by ansible-doc) agrees with its argument spec.

The spec is the one the module really runs with (conftest's ``module_spec``: ``main()`` is called with
``run_module`` replaced by a recorder), so wherever a module keeps its spec (the module, its back end, a
spec module), the test reads what AnsibleModule would get. Compared, recursively through suboptions: names, type, default, choices,
elements, required, aliases; and secrets: an option whose name looks like a password says ``no_log``
explicitly, and a ``no_log`` option has no default.
"""

from __future__ import annotations

import importlib
import json

import pytest
import yaml
from ansible.module_utils.basic import PASSWORD_MATCH
from conftest import MODULES, module_spec

# A module whose documentation is known to disagree with its spec, while its owner fixes it:
# {name: "the mismatch"}. The case then runs as xfail(strict=False) and still reports the mismatch.
KNOWN_MISMATCHES = {}


def _choices(values):
    return None if values is None else sorted(values, key=repr)


def disagreements(doc_options, spec, where=""):
    """Every way ``doc_options`` (DOCUMENTATION's ``options``) and ``spec`` differ, as readable lines."""
    problems = []
    for name in sorted(set(doc_options) - set(spec)):
        problems.append("%s%s: documented but not in the argument spec" % (where, name))
    for name in sorted(set(spec) - set(doc_options)):
        problems.append("%s%s: in the argument spec but not documented" % (where, name))
    for name in sorted(set(doc_options) & set(spec)):
        doc, arg, at = doc_options[name] or {}, spec[name], where + name
        for what, documented, real in (
            ("type", doc.get("type", "str"), arg.get("type", "str")),
            ("default", doc.get("default"), arg.get("default")),
            ("choices", _choices(doc.get("choices")), _choices(arg.get("choices"))),
            ("elements", doc.get("elements"), arg.get("elements")),
            ("required", bool(doc.get("required", False)), bool(arg.get("required", False))),
            ("aliases", sorted(doc.get("aliases") or []), sorted(arg.get("aliases") or [])),
        ):
            if documented != real:
                problems.append("%s: %s is documented as %r but the spec has %r" % (at, what, documented, real))
        if "suboptions" in doc or "options" in arg:
            problems.extend(disagreements(doc.get("suboptions") or {}, arg.get("options") or {}, at + "."))
    return problems


def secret_problems(spec, where=""):
    problems = []
    for name, arg in sorted(spec.items()):
        at = where + name
        if PASSWORD_MATCH.search(name) and "no_log" not in arg:
            problems.append("%s looks like a secret: set no_log (True, or False when it is not one)" % at)
        if arg.get("no_log") and arg.get("default") is not None:
            problems.append("%s is no_log but has a default, which the documentation would show" % at)
        problems.extend(secret_problems(arg.get("options") or {}, at + "."))
    return problems


def test_every_module_is_covered():
    assert len(MODULES) >= 19 and "iptables_ruleset" in MODULES and "x509_certificate" in MODULES


@pytest.mark.parametrize("name", [
    pytest.param(m, marks=pytest.mark.xfail(reason=KNOWN_MISMATCHES[m], strict=False)) if m in KNOWN_MISMATCHES else m
    for m in MODULES
])
def test_documentation_agrees_with_the_argument_spec(module_documentation, name):
    problems = disagreements(module_documentation[name].get("options") or {}, module_spec(name))
    assert problems == [], "%s: DOCUMENTATION and argument spec disagree:\n  %s" % (name, "\n  ".join(problems))


@pytest.mark.parametrize("name", MODULES)
def test_secrets_are_marked_no_log(name):
    assert secret_problems(module_spec(name)) == []


def own_documentation(name):
    """The module's DOCUMENTATION as written, before ansible-doc merges its fragments."""
    module = importlib.import_module("ansible_collections.ironclad.infra.plugins.modules." + name)
    return yaml.safe_load(module.DOCUMENTATION)


@pytest.mark.parametrize("name, fragment, options", [
    ("x509_ca", "ironclad.infra._x509.key", ["key_type", "key_curve", "key_size"]),
    ("x509_certificate", "ironclad.infra._x509.key", ["key_type", "key_curve", "key_size"]),
    ("x509_certificate", "ironclad.infra._x509.extended_key_usage", ["extended_key_usage"]),
    ("x509_sign", "ironclad.infra._x509.extended_key_usage", ["extended_key_usage"]),
])
def test_shared_options_are_documented_once_in_a_fragment(module_documentation, name, fragment, options):
    own = own_documentation(name)
    assert fragment in own["extends_documentation_fragment"]
    for option in options:
        # the module adds at most its own default; the description, type and choices are the fragment's
        assert set(own["options"].get(option) or {}) <= {"default"}, (name, option)
        assert module_documentation[name]["options"][option]["description"], (name, option)


@pytest.mark.parametrize("name", ["x509_ca", "x509_sign", "x509_certificate"])
def test_the_x509_library_requirement_is_documented_once(module_documentation, name):
    own = own_documentation(name)
    assert "ironclad.infra._x509" in own["extends_documentation_fragment"] and "requirements" not in own
    assert [r.split()[0] for r in module_documentation[name]["requirements"]] == ["cryptography"]


def test_the_key_defaults_stay_the_modules_own(module_documentation):
    assert module_documentation["x509_ca"]["options"]["key_curve"]["default"] == "secp384r1"
    assert module_documentation["x509_ca"]["options"]["key_size"]["default"] == 4096
    assert module_documentation["x509_certificate"]["options"]["key_curve"]["default"] == "secp256r1"
    assert module_documentation["x509_certificate"]["options"]["key_size"]["default"] == 3072


# The comparison itself: each kind of drift is found, so a green run means agreement.
SPEC = {
    "path": {"type": "path", "required": True, "aliases": ["dest"]},
    "mode": {"type": "str", "choices": ["a", "b"], "default": "a"},
    "items": {"type": "list", "elements": "dict", "options": {"name": {"type": "str"}}},
}
DOC = {
    "path": {"type": "path", "required": True, "aliases": ["dest"]},
    "mode": {"type": "str", "choices": ["b", "a"], "default": "a"},
    "items": {"type": "list", "elements": "dict", "suboptions": {"name": {"type": "str"}}},
}


def test_the_comparison_accepts_agreement_whatever_the_order_of_choices():
    assert disagreements(DOC, SPEC) == []


@pytest.mark.parametrize("change, problem", [
    (lambda d: d.pop("mode"), "mode: in the argument spec but not documented"),
    (lambda d: d.update(extra={}), "extra: documented but not in the argument spec"),
    (lambda d: d["mode"].update(type="raw"), "mode: type is documented as 'raw' but the spec has 'str'"),
    (lambda d: d["mode"].update(default="b"), "mode: default is documented as 'b' but the spec has 'a'"),
    (lambda d: d["mode"].update(choices=["a"]), "mode: choices is documented as ['a'] but the spec has ['a', 'b']"),
    (lambda d: d["items"].update(elements="str"), "items: elements is documented as 'str' but the spec has 'dict'"),
    (lambda d: d["path"].pop("required"), "path: required is documented as False but the spec has True"),
    (lambda d: d["path"].update(aliases=[]), "path: aliases is documented as [] but the spec has ['dest']"),
    (lambda d: d["items"]["suboptions"].update(id={"type": "int"}), "items.id: documented but not in the argument spec"),
])
def test_the_comparison_finds_each_kind_of_drift(change, problem):
    doc = json.loads(json.dumps(DOC))
    change(doc)
    assert disagreements(doc, SPEC) == [problem]


def test_the_secret_check_finds_unmarked_and_defaulted_secrets():
    spec = {"passphrase": {"type": "str"}, "token": {"type": "str", "no_log": True, "default": "x"},
            "users": {"type": "list", "options": {"password": {"type": "str", "no_log": True}}}}
    assert secret_problems(spec) == [
        "passphrase looks like a secret: set no_log (True, or False when it is not one)",
        "token is no_log but has a default, which the documentation would show",
    ]
