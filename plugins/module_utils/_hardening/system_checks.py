# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardening audit's checks of the operating system: kernel parameters and modules, mounts, login.defs,
PAM, core dumps, umask, file permissions and set-ID files (pure: they read through the auditor's host)."""

from __future__ import annotations

import fnmatch
import os
import re
import stat

from ansible_collections.ironclad.infra.plugins.module_utils._hardening.controls import (
    FAIL,
    MODPROBE_DIRS,
    NA,
    PASS,
    SYSCTL_DIRS,
    as_text,
    control,
    parse_key_values,
    short_list,
)
from ansible_collections.ironclad.infra.plugins.module_utils._host.file_modes import DEFAULT_SETUID_EXCLUDES, classify_setuid, parse_mode
from ansible_collections.ironclad.infra.plugins.module_utils._host.mounts import missing_options, parse_mountinfo
from ansible_collections.ironclad.infra.plugins.module_utils._host.pam import parse_profile, profile_missing, unix_hash_args
from ansible_collections.ironclad.infra.plugins.module_utils._host.sysctl import key_to_path, normalise_value
from ansible_collections.ironclad.infra.plugins.module_utils._host.sysctl import parse_file as parse_sysctl_file

__metaclass__ = type


class SystemChecks:
    """The ``check_<area>`` methods of these areas; mixed into :class:`.audit.Auditor`, whose ``host``,
    ``params`` and helpers they use."""

    # -- areas ---------------------------------------------------------------------------------
    def check_sysctl(self):
        wanted = {k: normalise_value(v) for k, v in self.params["sysctl"].items()}
        files = {}
        for directory in SYSCTL_DIRS:
            for name in self.host.listdir(directory):
                if name.endswith(".conf") and name not in files:
                    files[name] = os.path.join(directory, name)
        configured = {}
        for name in sorted(files):
            for key, value in parse_sysctl_file(self.host.read(files[name])).items():
                key = key.replace("/", ".")
                if any(c in key for c in "*?["):
                    for wanted_key in wanted:
                        if fnmatch.fnmatch(wanted_key, key):
                            configured[wanted_key] = value
                else:
                    configured[key] = value
        wrong = ["%s = %s (wanted %s)" % (k, configured.get(k, "unset"), v)
                 for k, v in sorted(wanted.items()) if normalise_value(configured.get(k, "")) != v]
        results = [control(
            "os.sysctl.persistent", "Kernel and network parameters are set for every boot", "sysctl",
            FAIL if wrong else PASS,
            ("not persisted: " + short_list(wrong)) if wrong else "%d parameters persisted" % len(wanted),
        )]
        differ = []
        unsettable = []
        for key, value in sorted(wanted.items()):
            path = key_to_path(key)
            current = self.host.read(path)
            if current is None:
                continue
            if normalise_value(current) != value:
                item = "%s = %s (wanted %s)" % (key, normalise_value(current), value)
                (differ if self.host.writable(path) else unsettable).append(item)
        title = "Running kernel and network parameters match"
        if differ:
            status, reason = FAIL, "differ: " + short_list(differ)
        elif unsettable and self.container:
            status, reason = NA, "%s container: %d values cannot be set here (read-only /proc/sys): %s" % (
                self.container, len(unsettable), short_list(unsettable))
        elif unsettable:
            status, reason = FAIL, "differ and are read-only: " + short_list(unsettable)
        else:
            status, reason = PASS, "all running values match"
        results.append(control("os.sysctl.runtime", title, "sysctl", status, reason))
        return results

    def check_kernel_modules(self):
        title = "Rare filesystems, removable storage and uncommon protocols cannot be loaded"
        if self.container:
            return [self._container_na("os.kernel_modules", title, "kernel_modules", "modules belong to the host kernel")]
        blocked = set()
        for directory in MODPROBE_DIRS:
            for name in self.host.listdir(directory):
                if not name.endswith(".conf"):
                    continue
                for line in (self.host.read(os.path.join(directory, name)) or "").splitlines():
                    parts = line.split()
                    if len(parts) >= 3 and parts[0] == "install" and os.path.basename(parts[2]) in ("false", "true"):
                        blocked.add(parts[1].replace("-", "_"))
        loaded = {line.split()[0] for line in (self.host.read("/proc/modules") or "").splitlines() if line.strip()}
        problems = []
        for module in self.params["kernel_modules"]:
            name = module.replace("-", "_")
            if name not in blocked:
                problems.append("%s not blocked" % module)
            if name in loaded:
                problems.append("%s is loaded" % module)
        return [control("os.kernel_modules", title, "kernel_modules", FAIL if problems else PASS,
                        short_list(problems) if problems else "%d modules blocked, none loaded" % len(self.params["kernel_modules"]))]

    def check_mounts(self):
        mounts = parse_mountinfo(self.host.read("/proc/self/mountinfo"))
        results = []
        wanted = list(self.params["mounts"])
        hidepid = self.params.get("proc_hidepid") or "off"
        if hidepid != "off":
            wanted.append({"path": "/proc", "options": ["hidepid=" + hidepid]})
        for entry in wanted:
            point = entry["path"]
            control_id = "os.mounts" + point.replace("/", ".")
            title = "%s is mounted %s" % (point, ",".join(entry["options"]))
            info = mounts.get(point)
            if info is None:
                if point == "/tmp" and self.params.get("tmp_tmpfs"):
                    results.append(control(control_id, title, "mounts", FAIL, "/tmp is not a separate mount (tmpfs expected)"))
                else:
                    results.append(control(control_id, title, "mounts", NA, "%s is not a separate mount point here" % point))
                continue
            missing = missing_options(info["options"], entry["options"])
            results.append(control(control_id, title, "mounts", FAIL if missing else PASS,
                                   ("missing " + ",".join(missing)) if missing else "%s %s" % (info["fstype"], ",".join(entry["options"]))))
        return results

    def check_login_defs(self):
        values = parse_key_values(self.host.read("/etc/login.defs"))
        wrong = ["%s = %s (wanted %s)" % (k, values.get(k, "unset"), as_text(v))
                 for k, v in self.params["login_defs"].items() if as_text(values.get(k, "")) != as_text(v)]
        results = [control("os.login_defs", "login.defs sets password ageing, login limits and hashing", "login_defs",
                           FAIL if wrong else PASS, short_list(wrong) if wrong else "%d settings as wanted" % len(self.params["login_defs"]))]
        algorithm = self.params["password_hash_algorithm"]
        method = str(values.get("ENCRYPT_METHOD", "")).lower()
        pam_algorithm, _rounds = unix_hash_args(self.host.read("/etc/pam.d/common-password"))
        problems = []
        if method != algorithm:
            problems.append("login.defs ENCRYPT_METHOD is %s" % (method or "unset"))
        if pam_algorithm != algorithm:
            problems.append("pam_unix hashes with %s" % (pam_algorithm or "its default (no algorithm argument)"))
        results.append(control("os.password_hash", "New passwords are hashed with %s" % algorithm, "login_defs",
                               FAIL if problems else PASS, "; ".join(problems) if problems else "login.defs and pam_unix use %s" % algorithm))
        return results

    def _commons(self):
        return {name: self.host.read("/etc/pam.d/" + name) for name in
                ("common-auth", "common-account", "common-password", "common-session", "common-session-noninteractive")}

    def _profile_active(self, name, commons):
        text = self.host.read("/usr/share/pam-configs/" + name)
        if text is None:
            return ["profile %s is not installed" % name]
        return profile_missing(parse_profile(text), commons)

    def _conf_mismatches(self, path, wanted):
        values = parse_key_values(self.host.read(path), "=")
        wrong = []
        for key, value in wanted.items():
            have = values.get(key)
            if isinstance(value, bool):
                if bool(have) != value:
                    wrong.append("%s %s" % (key, "missing" if value else "set"))
            elif have is None or as_text(have) != as_text(value):
                wrong.append("%s = %s (wanted %s)" % (key, have if have is not None else "unset", value))
        return wrong

    def check_pam(self):
        commons = self._commons()
        results = []
        problems = self._profile_active("pwquality", commons) + self._conf_mismatches("/etc/security/pwquality.conf", self.params["pwquality"])
        results.append(control("os.pam.pwquality", "Passwords are checked for strength (pam_pwquality)", "pam",
                               FAIL if problems else PASS, short_list(problems) if problems else "pam_pwquality active, pwquality.conf as wanted"))
        problems = []
        for name in ("ironclad-faillock", "ironclad-faillock-notify"):
            problems += self._profile_active(name, commons)
        problems += self._conf_mismatches("/etc/security/faillock.conf", self.params["faillock"])
        results.append(control("os.pam.faillock", "Accounts lock after repeated failed logins (pam_faillock)", "pam",
                               FAIL if problems else PASS,
                               short_list(problems) if problems else "pam_faillock active (deny=%s)" % self.params["faillock"].get("deny")))
        if self.params.get("pam_tmpdir", True):
            problems = self._profile_active("tmpdir", commons)
            results.append(control("os.pam.tmpdir", "Sessions get a private temporary directory (pam_tmpdir)", "pam",
                                   FAIL if problems else PASS, short_list(problems) if problems else "pam_tmpdir active"))
        else:
            results.append(control("os.pam.tmpdir", "Sessions get a private temporary directory (pam_tmpdir)", "pam", NA,
                                   "not wanted (os_hardening_pam_tmpdir: false)"))
        return results

    def check_core_dumps(self):
        problems = []
        limits = [self.host.read("/etc/security/limits.conf") or ""]
        limits += [self.host.read("/etc/security/limits.d/" + n) or "" for n in self.host.listdir("/etc/security/limits.d") if n.endswith(".conf")]
        hard = [line.split() for text in limits for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
        if not any(len(p) >= 4 and p[0] == "*" and p[1] in ("hard", "-") and p[2] == "core" and p[3] == "0" for p in hard):
            problems.append("no '* hard core 0' limit")
        coredump = {}
        drop_ins = ["/etc/systemd/coredump.conf.d/" + n for n in self.host.listdir("/etc/systemd/coredump.conf.d") if n.endswith(".conf")]
        for path in ["/etc/systemd/coredump.conf", *drop_ins]:
            coredump.update({k: v for k, v in parse_key_values(self.host.read(path), "=").items() if not k.startswith("[")})
        if str(coredump.get("Storage", "")).lower() != "none":
            problems.append("systemd-coredump Storage is %s" % coredump.get("Storage", "unset"))
        if str(coredump.get("ProcessSizeMax", "")) != "0":
            problems.append("systemd-coredump ProcessSizeMax is %s" % coredump.get("ProcessSizeMax", "unset"))
        return [control("os.core_dumps", "Core dumps are off", "core_dumps", FAIL if problems else PASS,
                        "; ".join(problems) if problems else "hard limit 0, systemd-coredump stores nothing")]

    def _profile_scripts(self):
        texts = [self.host.read("/etc/profile") or ""]
        texts += [self.host.read("/etc/profile.d/" + n) or "" for n in self.host.listdir("/etc/profile.d") if n.endswith(".sh")]
        return "\n".join(texts)

    def check_umask(self):
        wanted = str(self.params["umask"]).lstrip("0").zfill(3)
        values = parse_key_values(self.host.read("/etc/login.defs"))
        scripts = self._profile_scripts()
        problems = []
        if str(values.get("UMASK", "")).lstrip("0").zfill(3) != wanted:
            problems.append("login.defs UMASK is %s" % values.get("UMASK", "unset"))
        masks = re.findall(r"^\s*umask\s+0?([0-7]{3})\b", scripts, re.M)
        if not masks or masks[-1] != wanted:
            problems.append("login shells set umask %s" % (masks[-1] if masks else "nowhere"))
        results = [control("os.umask", "The default umask is %s" % wanted, "umask", FAIL if problems else PASS,
                           "; ".join(problems) if problems else "login.defs and /etc/profile.d set %s" % wanted)]
        timeout = int(self.params.get("shell_timeout") or 0)
        if timeout <= 0:
            results.append(control("os.shell_timeout", "Idle shells end", "umask", NA, "not wanted (timeout 0)"))
        else:
            values = re.findall(r"^\s*(?:export\s+|readonly\s+)?TMOUT=(\d+)", scripts, re.M)
            readonly = re.search(r"^\s*(readonly|typeset -r|declare -r)\b.*\bTMOUT\b", scripts, re.M)
            ok = values and all(0 < int(v) <= timeout for v in values) and readonly
            results.append(control("os.shell_timeout", "Idle shells end after %d s" % timeout, "umask", PASS if ok else FAIL,
                                   "TMOUT=%s%s" % (values[-1] if values else "unset", " (readonly)" if readonly else " (not readonly)")))
        return results

    def check_file_permissions(self):
        problems = []
        checked = 0
        for entry in self.params["file_permissions"]:
            if entry.get("follow"):
                entry = dict(entry, path=self.host.realpath(entry["path"]))
            st = self.host.lstat(entry["path"])
            if st is None or stat.S_ISLNK(st.st_mode):
                continue
            checked += 1
            if entry.get("owner") and self.host.user_name(st.st_uid) != str(entry["owner"]) and str(st.st_uid) != str(entry["owner"]):
                problems.append("%s owner %s" % (entry["path"], self.host.user_name(st.st_uid)))
            if entry.get("group") and self.host.group_name(st.st_gid) != str(entry["group"]) and str(st.st_gid) != str(entry["group"]):
                problems.append("%s group %s" % (entry["path"], self.host.group_name(st.st_gid)))
            if entry.get("mode") is not None:
                ceiling = parse_mode(entry["mode"], entry["path"])
                current = stat.S_IMODE(st.st_mode)
                exact = entry.get("policy") == "exact"
                if (exact and current != ceiling) or (not exact and current & ~ceiling):
                    problems.append("%s mode %04o (at most %04o)" % (entry["path"], current, ceiling))
        return [control("os.file_permissions", "Sensitive files have safe owners and modes", "file_permissions",
                        FAIL if problems else PASS, short_list(problems) if problems else "%d paths checked" % checked)]

    def check_suid_sgid(self):
        found = self.host.find_setuid(self.params["suid_sgid_roots"], DEFAULT_SETUID_EXCLUDES)
        allowed, unexpected = classify_setuid(found, self.params["suid_sgid_allowed"])
        return [control("os.suid_sgid", "Only allowed files are set-user-ID or set-group-ID", "suid_sgid",
                        FAIL if unexpected else PASS,
                        ("outside the allow-list: " + short_list(i["path"] for i in unexpected)) if unexpected
                        else "%d set-ID files, all allowed" % len(allowed))]
