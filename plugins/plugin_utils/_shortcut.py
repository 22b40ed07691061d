# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugins that skip their module on hosts where one shell command proves nothing would change.

Starting a module costs a Python interpreter and the AnsiballZ payload on the host (0.15-0.3 s of CPU)
for every host and every run; on a converged fleet almost all of those runs change nothing. A
subclass names its module, its ``argument_spec`` (the constant the module's main() uses, from its
domain's ``spec.py``; by default the ``backend``'s ``ARGUMENT_SPEC``) and its ``backend``: the
module_utils module of the module's domain that holds two functions, so the module and the shortcut
decide from the same code:

- ``probe_command(params)``: a POSIX shell command printing the state the module would read, or
  ``None`` when these parameters always need the module (a forced reload, an install step, ...);
- ``unchanged_result(params, stdout)``: the module's own no-change result when the probe's output
  proves there is nothing to do, else ``None``.

Any doubt (parameters the spec rejects, a probe that fails, an output that is not understood) runs the
module as usual, which also reports the errors; the shortcut can only make a run faster, never
different. Check mode is the same: a host where nothing would change has nothing to report.
"""

from __future__ import annotations

__metaclass__ = type

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase


class ShortcutAction(ActionBase):
    """Base class; set ``module_name`` and ``backend`` (or override what differs)."""

    _supports_check_mode = True
    _supports_async = False
    module_name = None
    backend = None

    @property
    def argument_spec(self):
        return self.backend.ARGUMENT_SPEC

    def probe_command(self, params):
        return self.backend.probe_command(params)

    def unchanged_result(self, params, stdout):
        return self.backend.unchanged_result(params, stdout)

    def accepts(self, args):
        """False for task arguments that mean something else on the host than here (for example a
        path with ``~`` or ``$VAR``, which the argument spec would expand on the controller)."""
        return True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        shortcut = self._unchanged(args)
        if shortcut is not None:
            result.update(shortcut)
            return result
        result.update(self._execute_module(module_name=self.module_name, module_args=args, task_vars=task_vars))
        return result

    def _unchanged(self, args):
        if not self.accepts(args):
            return None
        validation = ArgumentSpecValidator(self.argument_spec).validate(args)
        if validation.error_messages:
            return None  # the module reports them
        params = validation.validated_parameters
        try:
            command = self.probe_command(params)
        except ValueError:
            return None  # bad input: the module says what is wrong
        if not command:
            return None
        probe = self._low_level_execute_command(command, sudoable=True)
        if probe.get("rc") != 0:
            return None
        try:
            return self.unchanged_result(params, probe.get("stdout", ""))
        except ValueError:
            return None
