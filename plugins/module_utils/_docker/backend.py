# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The side-effect layer of ``docker_daemon_config``: read the current file, validate, compare, write.

``DaemonConfigBackend`` uses these members of the Ansible module it is given, so a unit test passes a
small fake: ``params``, ``check_mode``, ``tmpdir``, ``run_command``, ``get_bin_path``, ``atomic_move``,
``backup_local``, ``load_file_common_arguments``, ``set_fs_attributes_if_different``, ``warn``.
Nothing is written and no command runs in ``__init__``; ``run()`` returns the result dictionary or
raises ``DaemonConfigError`` with a message for the user.
"""

from __future__ import annotations

import os
import tempfile

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._common.files import read_file, write_file
from ansible_collections.ironclad.infra.plugins.module_utils._docker.daemon import (
    compare,
    describe_unknown,
    format_version,
    parse,
    parse_dockerd_version,
    render,
    supports_validate,
    validate_config,
)

__metaclass__ = type

# Where dockerd lives: Debian's docker.io in /usr/sbin, Docker's docker-ce in /usr/bin.
DOCKERD_SEARCH_PATHS = ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"]


class DaemonConfigError(Exception):
    """A problem the user must fix; the message says what and how."""


class DaemonConfigBackend:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.tracker = DifferenceTracker()
        self.validation = {"schema": "not run", "dockerd": "not run"}
        self.dockerd_version = None

    # ---- facts about the installed daemon ----------------------------------------------------------

    def _dockerd(self):
        path = self.params.get("dockerd_path")
        if path:
            return path if os.path.exists(path) else None
        return self.module.get_bin_path("dockerd", required=False, opt_dirs=DOCKERD_SEARCH_PATHS)

    def _probe_dockerd(self, dockerd):
        """Return ``(version tuple or None, True if --validate exists)``."""
        rc, out, err = self.module.run_command([dockerd, "--version"])
        version = parse_dockerd_version(out + err) if rc == 0 else None
        rc, out, err = self.module.run_command([dockerd, "--help"])
        return version, supports_validate(out + err)

    # ---- steps ---------------------------------------------------------------------------------------

    def _validate_schema(self, config):
        errors, unknown = validate_config(
            config,
            dockerd_version=self.dockerd_version,
            allow_unauthenticated_tcp=self.params["allow_unauthenticated_tcp"],
        )
        if unknown:
            if self.params["unknown_keys"] == "refuse":
                errors.append(describe_unknown(unknown))
            else:
                self.module.warn("daemon.json: option(s) %s are not in this module's schema; they are written "
                                 "as given (dockerd --validate checks them where the daemon has it)"
                                 % ", ".join(unknown))
        if errors:
            raise DaemonConfigError(
                "daemon.json refused before anything was written or restarted — %d problem(s): %s"
                % (len(errors), "; ".join(errors)))
        self.validation["schema"] = "ok"

    def _validate_dockerd(self, text, dockerd, has_validate):
        mode = self.params["dockerd_validate"]
        if mode == "never":
            self.validation["dockerd"] = "skipped (dockerd_validate=never)"
            return
        if dockerd is None or not has_validate:
            reason = ("dockerd is not installed" if dockerd is None else
                      "dockerd %s has no --validate (Docker 23+ has it)" % format_version(self.dockerd_version or ()))
            if mode == "always":
                raise DaemonConfigError("dockerd_validate=always but %s; install Docker 23 or later, or set "
                                        "dockerd_validate=auto to rely on the schema check" % reason)
            self.validation["dockerd"] = "skipped (%s)" % reason
            return
        fd, path = tempfile.mkstemp(prefix="daemon.", suffix=".json", dir=self.module.tmpdir)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            rc, out, err = self.module.run_command([dockerd, "--validate", "--config-file", path])
        finally:
            os.unlink(path)
        message = (err or out).strip().replace(path, self.params["path"])
        if rc != 0:
            raise DaemonConfigError("daemon.json refused by dockerd --validate before anything was written or "
                                    "restarted: %s" % message)
        self.validation["dockerd"] = "ok (dockerd %s)" % format_version(self.dockerd_version or ())

    def _read_current(self):
        text = read_file(self.params["path"], encoding="utf-8")
        if text is None:
            return None, None
        return text, parse(text)

    # ---- the run -------------------------------------------------------------------------------------

    def run(self):
        config = self.params["config"]
        path = self.params["path"]
        dockerd = self._dockerd()
        has_validate = False
        if dockerd:
            self.dockerd_version, has_validate = self._probe_dockerd(dockerd)

        self._validate_schema(config)
        text = render(config)
        self._validate_dockerd(text, dockerd, has_validate)

        current_text, parsed = self._read_current()
        if current_text is None:
            self.tracker.add("daemon.json", None, "created", action="create %s" % path)
            compare({}, config, self.tracker)
        else:
            document, problem = parsed
            if document is None:
                self.tracker.add("daemon.json", "unreadable: %s" % problem, "replaced",
                                 action="replace %s (current file is %s)" % (path, problem))
            else:
                compare(document, config, self.tracker)

        backup_file = None
        if self.tracker.changed and not self.module.check_mode:
            if current_text is not None and self.params["backup"]:
                backup_file = self.module.backup_local(path)
            self._write(path, text)

        file_args = self.module.load_file_common_arguments(self.params, path=path)
        if os.path.exists(path) and self.module.set_fs_attributes_if_different(file_args, False):
            self.tracker.add_action("set owner/group/mode of %s" % path)

        result = {
            "changed": self.tracker.changed,
            "path": path,
            "config": config,
            "actions": self.tracker.actions,
            "validation": dict(self.validation),
            "dockerd_version": format_version(self.dockerd_version) if self.dockerd_version else None,
            "diff": self.tracker.diff(before_header="%s (before)" % path, after_header="%s (after)" % path),
        }
        if backup_file:
            result["backup_file"] = backup_file
        return result

    def _write(self, path, text):
        directory = os.path.dirname(path) or "."
        if not os.path.isdir(directory):
            raise DaemonConfigError("%s does not exist; create it first (the docker role does)" % directory)
        write_file(path, text, 0o644, move=self.module.atomic_move)
