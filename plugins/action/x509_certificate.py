# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ironclad.infra.x509_certificate: skip the module on hosts where nothing would change.

A converged host keeps a state record beside its certificate (see module_utils/_x509_state.py). Before
running the module, this plugin reads the record and the current SHA-256, mode and owner of every
managed file with one shell command; when they all match the record, the parameters have the same
digest and the certificate and CA are outside the renewal window, the module would change nothing, and
the result says so without starting Python on the host. Otherwise - or when anything is unclear - the
module runs as usual. The installing call (``certificate`` given) always runs the module.
"""

from __future__ import annotations

__metaclass__ = type

import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.ironclad.infra.plugins.module_utils import _x509_state as state
from ansible_collections.ironclad.infra.plugins.module_utils._x509_spec import CERTIFICATE_ARGUMENT_SPEC


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        if not args.get("certificate"):
            shortcut = self._unchanged_result(args)
            if shortcut is not None:
                result.update(shortcut)
                return result
        result.update(self._execute_module(module_name="ironclad.infra.x509_certificate", module_args=args,
                                           task_vars=task_vars))
        return result

    def _unchanged_result(self, args):
        """The module's no-change result when the host's state record proves it, else None."""
        validation = ArgumentSpecValidator(CERTIFICATE_ARGUMENT_SPEC).validate(args)
        if validation.error_messages:
            return None  # the module reports the errors
        params = validation.validated_parameters
        probe = self._low_level_execute_command(state.probe_command(params), sudoable=True)
        if probe.get("rc") != 0:
            return None
        record, sums, stats = state.parse_probe(probe.get("stdout", ""))
        now = int(time.time())
        same, _why = state.unchanged(params, record, sums, stats, now)
        if not same:
            return None
        info = dict(record.get("certificate") or {})
        info["days_until_expiry"] = (int(record["not_after"]) - now) // 86400
        return {
            "changed": False,
            "actions": [],
            "issue_required": False,
            "reasons": [],
            "csr": None,
            "subject_alt_names": info.get("subject_alt_names", []),
            "certificate": info,
        }
