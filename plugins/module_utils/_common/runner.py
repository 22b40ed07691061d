# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``main()`` of the collection's modules: build ``AnsibleModule``, run a back end, exit or fail.

Every module keeps its logic in a back end under module_utils (tested without Ansible), and its
``main()`` was the same dozen lines each time. Here they are once, so a module names only what is
its own::

    def main():
        run_module(ARGUMENT_SPEC, tracked(DebPackagesBackend), {DebPackagesError: "%s"})

- ``argument_spec``: the module's options. Every module of the collection supports check mode;
  AnsibleModule's other keyword arguments (``add_file_common_args``, ``mutually_exclusive``,
  ``required_if``, ...) pass through ``module_kwargs``. ``no_log`` stays in the spec, where
  AnsibleModule reads it.
- ``backend(module)``: builds the back end, an object whose ``run()`` returns the module's result.
  A class that takes only the module is such a callable; :func:`tracked` makes one for a class
  built as ``cls(module, DifferenceTracker())``; a module whose back end needs more (other
  constructor arguments) passes a function of its own.
- ``errors``: the back end's exceptions that are the user's to fix (bad input, a file that cannot
  be written), tried in order, each mapped to what the task fails with: a message template where
  ``%s`` is the exception's text, or a function ``(exc, backend)`` returning fail_json's keyword
  arguments (for an error that carries more than a message). Any other exception is a bug and
  ends with its traceback, as it did before.
- ``required_library``: ``(name, import_error)`` of a Python library the back end imports; when
  the import failed, the task fails with Ansible's usual missing_required_lib() text.
- ``precheck(module)``: checks of the parameters that the spec cannot express; returns the
  message to fail with, or ``None``. It runs before the library check, so it may also end the run
  itself (x509_certificate answers check mode on a host where the library is not installed yet).
- ``diff_mode_only``: drop the back end's ``diff`` unless the task runs with ``--diff``; for the
  back ends that always compute it (big file diffs), so a normal run does not return it.

An option given as null (``vhosts: null``, or a variable that renders to None) gets its spec default
(:func:`fill_null_defaults`), as AnsibleModule alone would leave it None: back ends read
``module.params[name]`` and never restate a default.

A back end may also return ``failed=True`` with a result (haproxy_server_state: sessions left after
the wait); the task then fails with that whole result.
"""

from __future__ import annotations

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker


class TrackedBackend:
    """Base of a back end built from the module alone: it keeps the module, the module's validated
    parameters and a fresh DifferenceTracker (the state every such back end starts from)."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.tracker = DifferenceTracker()


def tracked(backend_class):
    """A back-end factory for ``backend_class(module, tracker)``: a fresh tracker for every run."""

    def build(module):
        return backend_class(module, DifferenceTracker())

    return build


def fill_null_defaults(params, argument_spec):
    """Give every option that is None in ``params`` its spec default, when the spec has one (recursively)."""
    for name, spec in argument_spec.items():
        value = params.get(name)
        if value is None and spec.get("default") is not None:
            params[name] = spec["default"]
        elif spec.get("options") and isinstance(value, dict):
            fill_null_defaults(value, spec["options"])
        elif spec.get("options") and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    fill_null_defaults(item, spec["options"])
    return params


def run_module(argument_spec, backend, errors=None, *, required_library=None, precheck=None, diff_mode_only=False, **module_kwargs):
    """Run one module: parse the arguments, run the back end, and end in exit_json or fail_json.

    Never returns (exit_json and fail_json end the process). See the module docstring for the
    arguments.
    """
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **module_kwargs)
    fill_null_defaults(module.params, argument_spec)
    if precheck is not None:
        _fail_with(module, precheck(module))
    if required_library is not None:
        _require(module, *required_library)
    errors = errors or {}
    instance = backend(module)
    try:
        result = instance.run()
    except _caught(errors) as exc:
        module.fail_json(**_failure(errors, exc, instance))
    if diff_mode_only and not module._diff:
        result.pop("diff", None)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


def _fail_with(module, message):
    if message:
        module.fail_json(msg=message)


def _require(module, name, import_error):
    # The back end's module_utils imported the library in a try block and kept the error here, so
    # the module can still start and say what to install instead of dying with an ImportError.
    if import_error is not None:
        module.fail_json(msg=missing_required_lib(name), exception=str(import_error))


def _caught(errors):
    """The exception classes of ``errors`` as one flat tuple for ``except`` (empty: catch nothing)."""
    classes = []
    for key in errors:
        classes.extend(key if isinstance(key, tuple) else (key,))
    return tuple(classes)


def _failure(errors, exc, backend):
    """fail_json's keyword arguments for ``exc``: those of the first entry of ``errors`` it matches."""
    for classes, message in errors.items():
        if isinstance(exc, classes):
            if callable(message):
                return message(exc, backend)
            return {"msg": message % (exc,)}
    raise exc  # not reached: _caught() let through only the classes of ``errors``
