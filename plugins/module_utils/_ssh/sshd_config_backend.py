# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back end of ``ironclad.infra.sshd_config``: validate and install sshd's configuration.

The pure parts (rendering, parsing, comparing an effective ``sshd -T`` output with the wanted
settings) are in :mod:`.sshd_config`. :class:`SshdConfigBackend` is the thin side-effect layer; it uses these
members of ``module``: ``params``, ``check_mode``, ``_diff``, ``run_command``, ``get_bin_path``,
``atomic_move``, ``set_mode_if_different``, ``fail_json``, ``warn`` and ``tmpdir``.

Order of work, so that nothing changes unless everything checks out:

1. render the configuration; plan host keys (new keys are generated into a temporary directory),
   moduli and banner;
2. validate the candidate with ``sshd -T -f <candidate>`` (host keys pointed at the new ones);
3. compare sshd's effective values with the wanted ones (catches included files that win);
4. run the lockout guard on the candidate (``sshd -T -C user=...``);
5. only then move keys, moduli, banner and configuration into place (skipped in check mode).
"""

from __future__ import annotations

import glob
import grp
import os
import pwd
import shutil
import tempfile

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._common.files import read_file, write_file
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.keys import parse_public_key
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.lockout_guard import (
    evaluate_lockout,
    expand_authorized_keys_paths,
    find_ssh_session,
    is_ssh_connection,
)
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.moduli import filter_moduli
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.sshd_audit import parse_sshd_t
from ansible_collections.ironclad.infra.plugins.module_utils._ssh.sshd_config import (
    VERIFY_KEYWORDS,
    SshdConfigError,
    config_differences,
    effective_mismatches,
    render_config,
)

__metaclass__ = type


def _read(path):
    """The file's text, or None when it is missing or cannot be read."""
    try:
        return read_file(path, encoding="utf-8", errors="surrogateescape")
    except OSError:
        return None


def _key_info(path):
    """Type and size of a host key from its ``.pub`` file, or ``None``."""
    text = _read(path + ".pub")
    if text is None or not os.path.exists(path):
        return None
    return parse_public_key(text.splitlines()[0] if text.strip() else "")


class SshdConfigBackend:
    """Read the current state, decide, validate, then act. Build it with a module; call :meth:`run`."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.tracker = DifferenceTracker()
        self.result = {"changed": False, "path": self.params["path"]}
        self._workdir = None

    # -- helpers ---------------------------------------------------------------------------------
    def _fail(self, msg, **kwargs):
        self._cleanup()
        self.module.fail_json(msg=msg, **kwargs)

    def _tmp(self):
        if self._workdir is None:
            self._workdir = tempfile.mkdtemp(prefix="ironclad-sshd-", dir=os.path.dirname(self.params["path"]) or "/")
            os.chmod(self._workdir, 0o700)
        return self._workdir

    def _cleanup(self):
        if self._workdir and os.path.isdir(self._workdir):
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir = None

    def _sshd(self):
        binary = self.params.get("sshd_path") or "sshd"
        found = self.module.get_bin_path(binary, required=False, opt_dirs=["/usr/sbin", "/usr/local/sbin"])
        if not found:
            self._fail("sshd (%s) was not found; install the OpenSSH server (Debian: openssh-server) first" % binary)
        return found

    @staticmethod
    def _ensure_privsep_dir(path="/run/sshd"):
        """sshd -T refuses to run without its privilege separation directory (systemd creates it)."""
        if not os.path.isdir(path) and os.path.isdir(os.path.dirname(path)):
            os.mkdir(path, 0o755)

    def _sshd_t(self, config_path, connection=None):
        sshd = self._sshd()
        self._ensure_privsep_dir()
        cmd = [sshd, "-T", "-f", config_path]
        if connection:
            cmd += ["-C", connection]
        rc, out, err = self.module.run_command(cmd)
        if rc != 0:
            return None, (err or out).strip()
        return parse_sshd_t(out), (err or "").strip()

    # -- planning ----------------------------------------------------------------------------------
    def _plan_host_keys(self):
        """Decide host key work; new keys are generated into the work directory. Returns a path map."""
        host_key_map = {}
        plans = []
        wanted_paths = set()
        for item in self.params["host_keys"]:
            path = item["path"]
            wanted_paths.add(path)
            key_type = item["type"]
            size = item.get("size") or (3072 if key_type == "rsa" else None)
            info = _key_info(path)
            reason = None
            if info is None:
                reason = "missing"
            elif info["type"] != key_type:
                reason = "is %s, wanted %s" % (info["type"], key_type)
            elif key_type == "rsa" and (info["bits"] or 0) < size:
                reason = "has %s bits, wanted at least %d" % (info["bits"], size)
            if reason is None:
                plans.append({"path": path, "type": info["type"], "bits": info["bits"], "action": "kept"})
                continue
            new_path = os.path.join(self._tmp(), os.path.basename(path))
            cmd = [self.module.get_bin_path("ssh-keygen", required=True, opt_dirs=["/usr/bin"]),
                   "-q", "-t", key_type, "-N", "", "-C", "", "-f", new_path]
            if key_type == "rsa":
                cmd[4:4] = ["-b", str(size)]
            rc, out, err = self.module.run_command(cmd)
            if rc != 0:
                self._fail("ssh-keygen could not create a %s host key for %s: %s" % (key_type, path, (err or out).strip()))
            new_info = _key_info(new_path)
            host_key_map[path] = new_path
            before = "%s %s" % (info["type"], info["bits"]) if info else None
            after = "%s %s (new)" % (new_info["type"], new_info["bits"])
            self.tracker.add("host_keys.%s" % path, before, after,
                             action="generate %s host key %s (%s)" % (key_type, path, reason))
            plans.append({"path": path, "type": new_info["type"], "bits": new_info["bits"],
                          "action": "generated" if info is None else "regenerated", "new": new_path})
        removals = []
        if self.params.get("remove_other_host_keys") and self.params.get("host_keys"):
            for path in sorted(glob.glob(self.params["host_key_glob"])):
                if path.endswith(".pub") or path in wanted_paths:
                    continue
                info = _key_info(path)
                files = [p for p in (path, path + ".pub", path + "-cert.pub") if os.path.lexists(p)]
                removals.extend(files)
                self.tracker.add("host_keys.%s" % path, "%s %s" % (info["type"], info["bits"]) if info else "present", None,
                                 action="remove host key %s" % path)
                plans.append({"path": path, "type": info["type"] if info else None,
                              "bits": info["bits"] if info else None, "action": "removed"})
        self.result["host_keys"] = [{k: v for k, v in p.items() if k != "new"} for p in plans]
        return host_key_map, plans, removals

    def _plan_moduli(self):
        moduli = self.params.get("moduli")
        if not moduli:
            return None
        path = moduli["path"]
        text = _read(path)
        if text is None:
            self.result["moduli"] = {"path": path, "kept": 0, "removed": 0}
            return None
        new_text, kept, removed = filter_moduli(text, moduli["min_bits"])
        self.result["moduli"] = {"path": path, "kept": kept, "removed": removed}
        if not removed:
            return None
        if not kept:
            self._fail("no group in %s is at least %d bits; regenerate the file (ssh-keygen -M generate) or lower "
                       "moduli.min_bits" % (path, moduli["min_bits"]))
        self.tracker.add("moduli.%s" % path, "%d groups" % (kept + removed), "%d groups" % kept,
                         action="remove %d Diffie-Hellman groups below %d bits from %s" % (removed, moduli["min_bits"], path))
        return new_text

    def _plan_banner(self):
        banner = self.params.get("banner")
        if not banner or banner.get("content") is None:
            return None
        content = banner["content"]
        if content and not content.endswith("\n"):
            content += "\n"
        current = _read(banner["path"])
        if current == content:
            return None
        self.tracker.add("banner.%s" % banner["path"], current, content, action="write banner %s" % banner["path"])
        return content

    # -- lockout guard -----------------------------------------------------------------------------
    def _lockout_guard(self, candidate_path):
        guard = self.params.get("lockout_guard") or {}
        report = {"checked": False, "user": None, "reason": "", "problems": [], "notes": []}
        self.result["lockout_guard"] = report
        if not guard.get("enabled", True):
            report["reason"] = "lockout guard disabled (lockout_guard.enabled=false)"
            return
        connection = guard.get("connection") or "ssh"
        if not is_ssh_connection(connection):
            report["reason"] = ("connection '%s' does not log in through sshd, so this run cannot lock itself out; "
                                "guard skipped" % connection)
            return
        user = guard.get("user") or os.environ.get("SUDO_USER") or pwd.getpwuid(os.getuid()).pw_name
        report["user"] = user
        # Under sudo, SSH_CONNECTION is gone from this process's environment (env_reset); the login
        # process above it still has it.
        session = find_ssh_session()
        address = guard.get("client_address") or (session["client"] if session else None)
        try:
            entry = pwd.getpwnam(user)
            account = {"name": entry.pw_name, "uid": entry.pw_uid, "home": entry.pw_dir}
            group_ids = os.getgrouplist(entry.pw_name, entry.pw_gid)
            groups = []
            for gid in [entry.pw_gid] + [g for g in group_ids if g != entry.pw_gid]:
                try:
                    groups.append(grp.getgrgid(gid).gr_name)
                except KeyError:
                    continue
        except KeyError:
            account, groups = None, []
        spec = "user=%s,host=%s,addr=%s" % (user, address or "127.0.0.1", address or "127.0.0.1")
        config, err = self._sshd_t(candidate_path, spec)
        if config is None:
            self._fail("sshd -T -C %s rejected the candidate configuration: %s" % (spec, err))
        keys = []
        if account is not None:
            patterns = []
            for value in config.get("authorizedkeysfile", []):
                patterns.extend(value.split())
            for path in expand_authorized_keys_paths(patterns, account):
                text = _read(path)
                if text is not None:
                    keys.append((path, text))
        outcome = evaluate_lockout(user, account, groups, config, keys, address=address,
                                   client_algorithms=guard.get("client_algorithms"))
        report.update({"checked": True, "problems": outcome["problems"], "notes": outcome["notes"]})
        if outcome["problems"]:
            if guard.get("force"):
                report["reason"] = "problems found but overridden by force"
                self.module.warn("lockout guard overridden (force): %s" % "; ".join(outcome["problems"]))
                return
            self._fail(
                "refusing to change sshd: the connecting user '%s' would be locked out: %s. Fix the access "
                "(add an authorized key, adjust the allow-lists) or set lockout_guard.force=true "
                "(role variable ssh_hardening_force: true) to apply anyway" % (user, "; ".join(outcome["problems"])),
                lockout_guard=report,
            )
        report["reason"] = "'%s' can still log in" % user

    # -- main ----------------------------------------------------------------------------------------
    def run(self):
        params = self.params
        path = params["path"]
        settings = dict(params["settings"])
        if params.get("host_keys") and not any(str(k).lower() == "hostkey" for k in settings):
            settings["HostKey"] = [item["path"] for item in params["host_keys"]]
        if params.get("banner") and params["banner"].get("path") and not any(str(k).lower() == "banner" for k in settings):
            settings["Banner"] = params["banner"]["path"]
        try:
            text = render_config(settings, params.get("match_blocks"), params.get("include"), params.get("header"))
        except SshdConfigError as exc:
            self.module.fail_json(msg="cannot render %s: %s" % (path, exc))
        current = _read(path)
        try:
            host_key_map, _plans, removals = self._plan_host_keys()
            moduli_text = self._plan_moduli()
            banner_text = self._plan_banner()
            config_changed = current != text
            if config_changed:
                differences = config_differences(current or "", text)
                for key, before, after in differences:
                    self.tracker.add("sshd_config.%s" % key, before, after)
                self.tracker.add_action("write %s (%s)" % (
                    path, ", ".join(k for k, _b, _a in differences) if differences else "layout and comments"))
            mode_changed = current is not None and (os.stat(path).st_mode & 0o7777) != int(params["mode"], 8)
            if mode_changed and not config_changed:
                self.tracker.add("mode.%s" % path, oct(os.stat(path).st_mode & 0o7777), params["mode"],
                                 action="set mode %s on %s" % (params["mode"], path))

            # Validate: what sshd would run with, with new keys where they will be.
            candidate = os.path.join(self._tmp(), "sshd_config")
            candidate_text = text
            if host_key_map:
                candidate_text = render_config(
                    self._map_host_keys(settings, host_key_map), params.get("match_blocks"), params.get("include"),
                    params.get("header"))
            with open(candidate, "w", encoding="utf-8") as handle:
                handle.write(candidate_text)
            effective = None
            if params["validate"]:
                effective, err = self._sshd_t(candidate)
                if effective is None:
                    self._fail("sshd rejected the new configuration, nothing was changed: %s" % err,
                               config=text)
                mismatches = effective_mismatches(settings, effective, host_key_map)
                if mismatches:
                    self._fail(
                        "sshd would not use the wanted values, nothing was changed: %s. A file included by %s "
                        "(e.g. %s) or a default probably sets them; remove them there"
                        % ("; ".join("%s is %s, wanted %s" % (k, g, w) for k, w, g in mismatches), path,
                           ", ".join(params["include"]) or "an Include"),
                        config=text,
                    )
                self.result["effective"] = {k: v for k, v in effective.items() if k in VERIFY_KEYWORDS}
            if config_changed:
                self._lockout_guard(candidate)
            else:
                self.result["lockout_guard"] = {"checked": False, "user": None, "problems": [], "notes": [],
                                                "reason": "sshd's configuration does not change"}

            if self.tracker.changed and not self.module.check_mode:
                self._apply(path, text, host_key_map, removals, moduli_text, banner_text)
            elif mode_changed and not self.module.check_mode:
                os.chmod(path, int(params["mode"], 8))
        finally:
            self._cleanup()
        self.result["changed"] = self.tracker.changed
        self.result["actions"] = self.tracker.actions
        if self.module._diff:
            self.result["diff"] = self.tracker.diff(before_header=path, after_header=path)
        return self.result

    @staticmethod
    def _map_host_keys(settings, host_key_map):
        mapped = {}
        for keyword, value in settings.items():
            if str(keyword).lower() == "hostkey":
                values = value if isinstance(value, (list, tuple)) else [value]
                mapped[keyword] = [host_key_map.get(v, v) for v in values]
            else:
                mapped[keyword] = value
        return mapped

    def _write(self, path, content, mode):
        # atomic_move gives the new file the mode of the one it replaces: set the wanted one after it.
        write_file(path, content, mode, move=self.module.atomic_move)
        os.chmod(path, mode)

    def _apply(self, path, text, host_key_map, removals, moduli_text, banner_text):
        for real, new in host_key_map.items():
            for suffix, mode in (("", 0o600), (".pub", 0o644)):
                os.chmod(new + suffix, mode)
                self.module.atomic_move(new + suffix, real + suffix)
                os.chmod(real + suffix, mode)
            if os.path.lexists(real + "-cert.pub"):
                # A certificate for the old key no longer matches the new key.
                os.unlink(real + "-cert.pub")
        for item in removals:
            os.unlink(item)
        if moduli_text is not None:
            self._write(self.params["moduli"]["path"], moduli_text, 0o644)
        if banner_text is not None:
            self._write(self.params["banner"]["path"], banner_text, 0o644)
        self._write(path, text, int(self.params["mode"], 8))
