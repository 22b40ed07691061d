# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' input check on the controller (documented in input_errors.yml); the rules live in
module_utils/_roles/inputs.py, the validators in module_utils/_common/validators.py."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.module_utils._roles.inputs import input_errors as _input_errors

__metaclass__ = type


def input_errors(values, role, context=None):
    """Every problem of a role's input (variable name -> value) as one message each; [] when it is valid."""
    try:
        return _input_errors(role, values, context)
    except ValueError as exc:
        raise AnsibleFilterError("ironclad.infra.input_errors: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"input_errors": input_errors}
