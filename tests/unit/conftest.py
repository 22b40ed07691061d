"""Shared test doubles for the unit tests: a fake AnsibleModule built from a module's real argument spec.

Back ends take an ``AnsibleModule`` and use a few of its members (each back end's header says which).
:class:`FakeModule` offers those members with the real parameter handling: the parameters a test gives are
validated, converted and defaulted by ansible's own ``ArgumentSpecValidator`` against the module's
argument spec (:func:`module_spec` reads the one ``main()`` really uses), so a test cannot pass a value the
module would refuse, nor forget a default. ``fail_json``/``exit_json`` raise, ``warn`` records, and
``run_command`` records every command and answers from a script.

Test files import it with ``from conftest import FakeModule, module_spec`` (pytest puts this folder on
``sys.path``); a test that needs more behaviour (a fake dockerd, iptables in memory) subclasses it.
The ``module_documentation`` fixture gives every module's documentation with its doc fragments merged.
"""

from __future__ import annotations

import glob
import importlib
import json
import os
import subprocess
from unittest import mock

import ansible_collections.ironclad.infra as collection
import pytest
from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import fill_null_defaults

__all__ = ["MODULES", "ExitJson", "FailJson", "FakeModule", "module_spec"]

COLLECTION_ROOT = os.path.abspath(next(iter(collection.__path__)))
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(COLLECTION_ROOT, "plugins", "modules", "*.py")))


@pytest.fixture(scope="session")
def module_documentation():
    """Every module's documentation as ansible-doc shows it (doc fragments merged), keyed by short name;
    read from this checkout in one ansible-doc call."""
    collections_root = os.path.dirname(os.path.dirname(os.path.dirname(COLLECTION_ROOT)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_root, ANSIBLE_NOCOLOR="1")
    done = subprocess.run(["ansible-doc", "-t", "module", "--json", *("ironclad.infra." + m for m in MODULES)],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return {name.split(".")[-1]: data["doc"] for name, data in json.loads(done.stdout).items()}


class FailJson(Exception):
    """Raised by :meth:`FakeModule.fail_json`; ``kwargs`` (also ``args[0]``) are what the module would fail with."""

    def __init__(self, kwargs):
        super().__init__(kwargs)
        self.kwargs = kwargs


class ExitJson(Exception):
    """Raised by :meth:`FakeModule.exit_json`; ``kwargs`` are the module's result."""

    def __init__(self, kwargs):
        super().__init__(kwargs)
        self.kwargs = kwargs


def module_spec(name):
    """The argument spec that ``plugins/modules/<name>.py``'s main() gives run_module (with the file
    options when it asks AnsibleModule to add them). main() runs with run_module replaced, so nothing
    else happens."""
    module = importlib.import_module("ansible_collections.ironclad.infra.plugins.modules." + name)
    with mock.patch.object(module, "run_module") as run_module:
        module.main()
    assert run_module.call_count == 1, "%s: main() must end in one run_module() call" % name
    args, kwargs = run_module.call_args
    spec = dict(args[0] if args else kwargs["argument_spec"])
    if kwargs.get("add_file_common_args"):
        spec.update(FILE_COMMON_ARGUMENTS)
    return spec


class FakeModule:
    """The members of AnsibleModule that the collection's back ends use.

    - ``argument_spec``: the module's spec (a dict, or a module name for :func:`module_spec`);
      ``params`` are validated against it exactly as AnsibleModule would (an invalid parameter fails the
      test at once, with ansible's message), then defaulted;
    - ``check_mode``, ``diff`` (``module._diff``), ``tmpdir``;
    - ``commands``: the script of ``run_command``: a callable ``(argv, **kwargs) -> (rc, out, err)``,
      a list of ``(rc, out, err)`` answered in turn, or None for ``(0, "", "")`` every time. Every call
      is recorded in ``self.commands`` (the argv as given);
    - ``bin_paths``: what ``get_bin_path(name)`` answers: a dict ``{name: path}``, a callable, or a
      directory that every name is found in (default ``/usr/bin``).
    """

    def __init__(self, argument_spec, params=None, *, check_mode=False, diff=False, tmpdir=None, commands=None,
                 bin_paths="/usr/bin"):
        if isinstance(argument_spec, str):
            argument_spec = module_spec(argument_spec)
        result = ArgumentSpecValidator(argument_spec).validate(dict(params or {}))
        if result.error_messages:
            raise AssertionError("the module would refuse these parameters: %s" % "; ".join(result.error_messages))
        self.argument_spec = argument_spec
        # As run_module does: an option given as null gets its spec default.
        self.params = fill_null_defaults(result.validated_parameters, argument_spec)
        self.check_mode = check_mode
        self._diff = diff
        self.tmpdir = tmpdir
        self.commands = []
        self.warnings = []
        self._script = list(commands) if isinstance(commands, (list, tuple)) else commands
        self._bin_paths = bin_paths

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def warn(self, message):
        self.warnings.append(message)

    def get_bin_path(self, name, required=False, opt_dirs=None):
        if callable(self._bin_paths):
            return self._bin_paths(name)
        if isinstance(self._bin_paths, dict):
            return self._bin_paths.get(name)
        return None if self._bin_paths is None else os.path.join(self._bin_paths, name)

    def run_command(self, args, **kwargs):
        self.commands.append(args)
        if self._script is None:
            return 0, "", ""
        if callable(self._script):
            return self._script(args, **kwargs)
        if not self._script:
            raise AssertionError("run_command(%r) was not expected: the script is used up" % (args,))
        return self._script.pop(0)

    def atomic_move(self, src, dest):
        os.replace(src, dest)
