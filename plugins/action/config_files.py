# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ironclad.infra.config_files: the module's own plan, run in check mode on the controller
over the files one shell command read from the host, decides whether the module must run."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.ironclad.infra.plugins.module_utils._host import config_files_backend as config
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import CONFIG_FILES_ARGUMENT_SPEC
from ansible_collections.ironclad.infra.plugins.plugin_utils._shortcut import ShortcutAction


class ActionModule(ShortcutAction):
    module_name = "ironclad.infra.config_files"
    backend = config
    argument_spec = CONFIG_FILES_ARGUMENT_SPEC

    def accepts(self, args):
        files = args.get("files")
        if not isinstance(files, list):
            return False
        paths = []
        for entry in files:
            if not isinstance(entry, dict):
                return False
            paths.append(entry.get("path"))
            paths.extend((entry.get("unless_found") or {}).get("paths") or [])
        # Only plain absolute paths: "~" and "$VAR" are the host's to expand.
        return all(isinstance(p, str) and p.startswith("/") and "$" not in p for p in paths)
