"""Every module's EXAMPLES, checked the way ansible-core 2.19 (and newer) will run them.

For each task of each module's EXAMPLES block:

- the module exists (this collection's plugins/modules, ansible-core's own, or an installed collection);
- for this collection's modules, the arguments validate against the module's real argument spec
  (captured from its ``main()``), with templated values replaced by a valid value of the option's type;
- every conditional (``when``, ``changed_when``, ``failed_when``, ``until``) that uses a registered
  result of this collection's modules is a boolean: a return value documented as ``type: bool`` in
  RETURN, a test (``is changed``), a comparison, ``| bool``, or ``not``/``and``/``or`` of those.
  ansible-core 2.19 refuses a conditional whose result is not a boolean (``when: fw.rollback_token``
  is a string), so such an example would fail at run time;
- in the modules of ``SEQUENCED``, the examples are sequences separated by a blank line, each
  self-contained: a registered result is used only in the sequence that registers it
  (molecule/firewall_rollback runs the sequences of ``iptables_ruleset`` one by one over SSH).
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS, AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.playbook.task import Task

ROOT = Path(__file__).resolve().parents[4]
MODULES = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py") if not path.stem.startswith("_"))
COLLECTION = "ironclad.infra"
KEYWORDS = frozenset(Task.fattributes) | {"block", "rescue", "always", "local_action"}
CONDITIONALS = ("when", "changed_when", "failed_when", "until")
# Keys every task result has, whatever the module documents.
COMMON_BOOL_RESULTS = frozenset(["changed", "failed", "skipped", "unreachable"])
# Modules whose EXAMPLES are run sequence by sequence by a Molecule scenario.
SEQUENCED = ("iptables_ruleset",)
VALIDATOR_KWARGS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


def module_docs(name):
    """DOCUMENTATION, EXAMPLES and RETURN of a module file, read without importing it."""
    tree = ast.parse((ROOT / "plugins" / "modules" / (name + ".py")).read_text(encoding="utf-8"))
    docs = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
                docs[node.targets[0].id] = node.value.value
    return docs


def example_sequences(examples):
    """The EXAMPLES text split into its sequences (separated by a blank line), each a list of tasks."""
    chunks = [chunk for chunk in examples.strip().split("\n\n") if chunk.strip()]
    return [yaml.safe_load(chunk) for chunk in chunks]


def flat_tasks(tasks):
    for task in tasks or []:
        yield task
        for key in ("block", "rescue", "always"):
            if key in task:
                yield from flat_tasks(task[key])


def action_of(task):
    actions = [key for key in task if key not in KEYWORDS]
    assert len(actions) == 1, "task %r has %d module keys: %s" % (task.get("name"), len(actions), actions)
    return actions[0]


def module_exists(fqcn):
    parts = fqcn.split(".")
    if len(parts) != 3:
        return False
    namespace, collection, name = parts
    if (namespace, collection) == ("ansible", "builtin"):
        import ansible.modules

        return os.path.exists(os.path.join(os.path.dirname(ansible.modules.__file__), name + ".py"))
    if "%s.%s" % (namespace, collection) == COLLECTION:
        return (ROOT / "plugins" / "modules" / (name + ".py")).exists()
    relative = os.path.join("ansible_collections", namespace, collection, "plugins", "modules", name + ".py")
    return any(os.path.exists(os.path.join(entry, relative)) for entry in sys.path if entry)


class _Captured(Exception):
    def __init__(self, argument_spec, kwargs):
        super().__init__("captured")
        self.argument_spec = argument_spec
        self.kwargs = kwargs


def argument_spec_of(name, monkeypatch):
    """The argument spec (and AnsibleModule's other checks) a module's main() builds its AnsibleModule with."""

    def capture(self, argument_spec, **kwargs):
        raise _Captured(argument_spec, kwargs)

    module = importlib.import_module("ansible_collections.ironclad.infra.plugins.modules." + name)
    with monkeypatch.context() as patch:
        patch.setattr(AnsibleModule, "__init__", capture)
        try:
            module.main()
        except _Captured as captured:
            spec = dict(captured.argument_spec)
            if captured.kwargs.get("add_file_common_args"):
                spec.update((key, value) for key, value in FILE_COMMON_ARGUMENTS.items() if key not in spec)
            return spec, dict((k, v) for k, v in captured.kwargs.items() if k in VALIDATOR_KWARGS)
    raise AssertionError("%s: main() did not build an AnsibleModule" % name)


PLACEHOLDERS = {"str": "x", "path": "/x", "int": 1, "float": 1.0, "bool": True, "list": [], "dict": {},
                "raw": "x", "bytes": "1", "bits": "1", "jsonarg": "{}", "json": "{}"}


def templated(value):
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def untemplate(args, spec):
    """``args`` with every templated value replaced by a valid value of its option's type."""
    out = {}
    for key, value in args.items():
        option = spec.get(key)
        if option is None:
            for candidate in spec.values():
                if key in (candidate.get("aliases") or []):
                    option = candidate
        if option is None:
            out[key] = value
            continue
        kind = option.get("type", "str")
        if templated(value):
            if option.get("choices"):
                value = option["choices"][0] if kind != "list" else [option["choices"][0]]
            else:
                value = PLACEHOLDERS.get(kind, value)
        elif kind == "dict" and isinstance(value, dict) and option.get("options"):
            value = untemplate(value, option["options"])
        elif kind == "list" and isinstance(value, list):
            elements = option.get("elements")
            if option.get("options") and elements == "dict":
                value = [untemplate(item, option["options"]) if isinstance(item, dict) else item for item in value]
            else:
                value = [PLACEHOLDERS.get(elements or "str", item) if templated(item) else item for item in value]
        out[key] = value
    return out


def condition_problems(condition, registered, returns):
    """Why a conditional is not a boolean in ansible-core 2.19 (empty: it is)."""
    if isinstance(condition, bool):
        return []
    expression = jinja2.Environment().parse("{{ (%s) }}" % str(condition).strip().strip("{} ")).body[0].nodes[0]
    return _boolean(expression, registered, returns, str(condition))


def _registered_path(node):
    """``(name, [attribute, ...])`` for ``fw.a.b`` / ``fw['a']``, else None."""
    path = []
    while isinstance(node, (jinja2.nodes.Getattr, jinja2.nodes.Getitem)):
        if isinstance(node, jinja2.nodes.Getattr):
            path.insert(0, node.attr)
        elif isinstance(node.arg, jinja2.nodes.Const):
            path.insert(0, node.arg.value)
        else:
            return None
        node = node.node
    if isinstance(node, jinja2.nodes.Name):
        return node.name, path
    return None


def _uses(node, registered):
    return any(name.name in registered for name in node.find_all(jinja2.nodes.Name)) or (
        isinstance(node, jinja2.nodes.Name) and node.name in registered)


def _return_type(returns, path):
    spec = {"contains": returns}
    for part in path:
        spec = (spec.get("contains") or {}).get(part)
        if spec is None:
            return None
    return spec.get("type")


def _boolean(node, registered, returns, text):
    nodes = jinja2.nodes
    if isinstance(node, nodes.Not):
        return _boolean(node.node, registered, returns, text)
    if isinstance(node, (nodes.And, nodes.Or)):
        return _boolean(node.left, registered, returns, text) + _boolean(node.right, registered, returns, text)
    if isinstance(node, nodes.CondExpr):
        return _boolean(node.expr1, registered, returns, text) + _boolean(node.expr2, registered, returns, text)
    if isinstance(node, (nodes.Test, nodes.Compare)):
        return []
    if isinstance(node, nodes.Filter) and node.name in ("bool", "ansible.builtin.bool"):
        return []
    if isinstance(node, nodes.Const) and isinstance(node.value, bool):
        return []
    if not _uses(node, registered):
        return []  # a variable of the play: its type is not the module's to document
    found = _registered_path(node)
    if found is None or found[0] not in registered:
        return ["%r: this part is not a boolean (use a test such as 'is changed', a comparison or | bool)" % text]
    name, path = found
    module, module_returns = registered[name]
    if len(path) == 1 and path[0] in COMMON_BOOL_RESULTS:
        return []
    kind = _return_type(module_returns, path) if module_returns is not None else "bool"
    if kind == "bool":
        return []
    return ["%r: %s.%s is %s in the RETURN of %s, not a boolean; ansible-core 2.19 refuses it"
            % (text, name, ".".join(map(str, path)), kind or "not documented", module)]


def examples_of(name):
    """The EXAMPLES as one list (a sequence of its own for each modules of SEQUENCED)."""
    docs = module_docs(name)
    assert docs.get("EXAMPLES", "").strip(), "%s has no EXAMPLES" % name
    if name in SEQUENCED:
        return example_sequences(docs["EXAMPLES"])
    tasks = yaml.safe_load(docs["EXAMPLES"])
    assert isinstance(tasks, list) and tasks, "%s EXAMPLES is not a list of tasks" % name
    return [tasks]


@pytest.mark.parametrize("name", MODULES)
def test_examples_are_sequences_of_tasks(name):
    for number, sequence in enumerate(examples_of(name), 1):
        assert isinstance(sequence, list) and sequence, "%s EXAMPLES sequence %d is not a list of tasks" % (name, number)
        for task in flat_tasks(sequence):
            assert isinstance(task, dict) and task.get("name"), "%s EXAMPLES sequence %d: a task without a name" % (name, number)


@pytest.mark.parametrize("name", MODULES)
def test_example_modules_exist_and_arguments_validate(name, monkeypatch):
    specs = {}
    for sequence in examples_of(name):
        for task in flat_tasks(sequence):
            if "block" in task:
                continue
            action = action_of(task)
            assert module_exists(action), "%s EXAMPLES task %r: module %s does not exist" % (name, task["name"], action)
            if not action.startswith(COLLECTION + "."):
                continue
            module = action.rsplit(".", 1)[1]
            if module not in specs:
                specs[module] = argument_spec_of(module, monkeypatch)
            spec, kwargs = specs[module]
            args = task[action] or {}
            assert isinstance(args, dict), "%s EXAMPLES task %r: give the arguments as a dict" % (name, task["name"])
            result = ArgumentSpecValidator(spec, **kwargs).validate(untemplate(args, spec))
            assert not result.error_messages, "%s EXAMPLES task %r: %s" % (name, task["name"], result.error_messages)


@pytest.mark.parametrize("name", MODULES)
def test_example_conditionals_are_booleans(name):
    returns_by_module = {}
    for sequence in examples_of(name):
        registered = {}
        for task in flat_tasks(sequence):
            for key in CONDITIONALS:
                if key not in task:
                    continue
                conditions = task[key] if isinstance(task[key], list) else [task[key]]
                for condition in conditions:
                    problems = condition_problems(condition, registered, returns_by_module)
                    assert not problems, "%s EXAMPLES task %r: %s" % (name, task["name"], problems)
            if "register" in task and "block" not in task:
                action = action_of(task)
                module_returns = None
                if action.startswith(COLLECTION + "."):
                    module = action.rsplit(".", 1)[1]
                    module_returns = yaml.safe_load(module_docs(module).get("RETURN") or "{}") or {}
                registered[task["register"]] = (action, module_returns)


@pytest.mark.parametrize("name", SEQUENCED)
def test_example_sequences_are_self_contained(name):
    sequences = examples_of(name)
    assert len(sequences) > 1
    for number, sequence in enumerate(sequences):
        own = set(task["register"] for task in flat_tasks(sequence) if "register" in task)
        others = set(task["register"] for other, tasks in enumerate(sequences) if other != number
                     for task in flat_tasks(tasks) if "register" in task) - own
        text = yaml.safe_dump(sequence)
        used = sorted(reg for reg in others if ("%s." % reg) in text or ("%s[" % reg) in text)
        assert not used, "%s EXAMPLES sequence %d uses %s registered in another sequence" % (name, number + 1, used)


# -- the checker catches what ansible-core 2.19 refuses ------------------------------------------------

RUNTIME_RETURNS = yaml.safe_load("""
rollback_token: {type: str}
rollback_pending: {type: bool}
counts: {type: dict, contains: {added: {type: int}}}
lockout_guard: {type: dict, contains: {checked: {type: bool}}}
""")
REGISTERED = {"fw": ("ironclad.infra.iptables_ruleset", RUNTIME_RETURNS), "out": ("ansible.builtin.command", None)}


@pytest.mark.parametrize("condition, bad", [
    ("fw.rollback_token", True),  # a string: what the old commit-confirm example did
    ("fw.counts.added", True),
    ("fw.counts", True),
    ("fw.rollback_token and fw.rollback_pending", True),
    ("fw.undocumented", True),
    ("fw.rollback_pending", False),
    ("not fw.rollback_pending", False),
    ("fw['rollback_pending']", False),
    ("fw.lockout_guard.checked", False),
    ("fw.rollback_token is not none", False),
    ("fw.rollback_token | length > 0", False),
    ("fw.rollback_token | bool", False),
    ("fw is changed", False),
    ("fw.changed", False),
    ("fw.rollback_pending and some_play_variable", False),
    ("{{ fw.rollback_pending }}", False),
    ("out.stdout_lines", False),  # not this collection's module: RETURN unknown here
    (True, False),
])
def test_condition_checker(condition, bad):
    assert bool(condition_problems(condition, REGISTERED, {})) is bad


def test_the_checker_validates_argument_types(monkeypatch):
    spec, kwargs = argument_spec_of("iptables_ruleset", monkeypatch)
    good = untemplate({"chains": "{{ my_chains }}", "rollback_timeout": "{{ t }}", "lockout_guard": {"force": "{{ f }}"}}, spec)
    assert not ArgumentSpecValidator(spec, **kwargs).validate(good).error_messages
    bad = ArgumentSpecValidator(spec, **kwargs).validate({"rollback_timeout": "soon", "persist_please": True})
    assert len(bad.error_messages) == 2
