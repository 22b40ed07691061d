# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ironclad.infra.systemd_units: one ``systemctl show`` decides whether the module must run."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.ironclad.infra.plugins.module_utils._host import systemd_units as units
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import SYSTEMD_UNITS_ARGUMENT_SPEC
from ansible_collections.ironclad.infra.plugins.plugin_utils._shortcut import ShortcutAction


class ActionModule(ShortcutAction):
    module_name = "ironclad.infra.systemd_units"
    backend = units
    argument_spec = SYSTEMD_UNITS_ARGUMENT_SPEC
