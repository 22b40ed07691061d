# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ironclad.infra.x509_certificate: skip the module on hosts where nothing would change.

A converged host keeps a state record beside its certificate (see module_utils/_pki/state.py). Before
running the module, this plugin reads the record and the current SHA-256, mode and owner of every
managed file with one shell command; when they all match the record, the parameters have the same
digest and the certificate and CA are outside the renewal window, the module would change nothing, and
the result says so without starting Python on the host. Otherwise - or when anything is unclear - the
module runs as usual. The installing call (``certificate`` given) always runs the module.
"""

from __future__ import annotations

__metaclass__ = type

import time

from ansible_collections.ironclad.infra.plugins.module_utils._pki import state
from ansible_collections.ironclad.infra.plugins.module_utils._pki.spec import CERTIFICATE_ARGUMENT_SPEC
from ansible_collections.ironclad.infra.plugins.plugin_utils._shortcut import ShortcutAction


class ActionModule(ShortcutAction):
    module_name = "ironclad.infra.x509_certificate"
    argument_spec = CERTIFICATE_ARGUMENT_SPEC

    def probe_command(self, params):
        if params.get("certificate"):
            return None
        return state.probe_command(params)

    def unchanged_result(self, params, stdout):
        return state.unchanged_result(params, stdout, int(time.time()))
