# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only compliance audit of a host against the controls of the hardening roles.

Used by the ``ironclad.infra.hardening_audit`` module. :class:`Auditor` evaluates every control
area with the same logic the modules of the ``os_hardening`` role use to apply it (sysctl parsing,
set-ID classification, mount parsing, PAM profiles) and the SSH evaluation of
``_ssh_algorithms``; it only reads files and runs read-only commands through a :class:`Host`, which
unit tests replace with a fake.

Each control is ``{"id", "title", "area", "status", "reason"}`` with ``status`` one of ``pass``,
``fail`` or ``not_applicable`` (disabled area, container, a mount that does not exist ...).
The score is the share of passing controls among those that apply.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat

from ansible_collections.ironclad.infra.plugins.module_utils._audit_defaults import AREAS, DEFAULTS
from ansible_collections.ironclad.infra.plugins.module_utils._host.file_modes import (
    DEFAULT_SETUID_EXCLUDES,
    classify_setuid,
    parse_mode,
)
from ansible_collections.ironclad.infra.plugins.module_utils._host.file_modes_backend import find_setuid
from ansible_collections.ironclad.infra.plugins.module_utils._host.mounts import missing_options, parse_mountinfo
from ansible_collections.ironclad.infra.plugins.module_utils._host.pam import (
    parse_profile,
    profile_missing,
    unix_hash_args,
)
from ansible_collections.ironclad.infra.plugins.module_utils._host.sysctl import (
    key_to_path,
    normalise_value,
)
from ansible_collections.ironclad.infra.plugins.module_utils._host.sysctl import (
    parse_file as parse_sysctl_file,
)
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import algorithms as ssh
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import keys as ssh_keys
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import sshd_audit as sshd_audit

__metaclass__ = type

PASS = "pass"
FAIL = "fail"
NA = "not_applicable"

SYSCTL_DIRS = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"]
MODPROBE_DIRS = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"]
CONTAINER_TYPES = ("docker", "podman", "lxc", "lxc-libvirt", "systemd-nspawn", "openvz", "container-other", "wsl", "rkt")
_LIST_LIMIT = 8


def _short(items):
    items = list(items)
    text = ", ".join(str(i) for i in items[:_LIST_LIMIT])
    if len(items) > _LIST_LIMIT:
        text += " and %d more" % (len(items) - _LIST_LIMIT)
    return text


def control(control_id, title, area, status, reason):
    return {"id": control_id, "title": title, "area": area, "status": status, "reason": reason}


class Host:
    """Read-only access to the host. Tests pass a fake with the same methods."""

    def __init__(self, module=None):
        self.module = module

    def read(self, path):
        try:
            with open(path, "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except PermissionError:
            return None

    def lstat(self, path):
        try:
            return os.lstat(path)
        except OSError:
            return None

    def listdir(self, path):
        try:
            return sorted(os.listdir(path))
        except OSError:
            return []

    def run(self, argv):
        if self.module is not None:
            return self.module.run_command(argv)
        import subprocess

        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def which(self, name):
        for directory in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
            path = os.path.join(directory, name)
            if os.access(path, os.X_OK):
                return path
        return None

    def realpath(self, path):
        return os.path.realpath(path)

    def writable(self, path):
        if os.access(path, os.W_OK):
            return True
        return False

    def find_setuid(self, roots, excludes):
        return find_setuid(roots, excludes)

    def user_name(self, uid):
        import pwd

        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)

    def group_name(self, gid):
        import grp

        try:
            return grp.getgrgid(gid).gr_name
        except KeyError:
            return str(gid)


def detect_container(host):
    """Return the container type (``docker``, ``lxc`` ...) or ``None`` on a VM or bare metal."""
    text = host.read("/run/systemd/container")
    if text and text.strip():
        return text.strip()
    if host.lstat("/.dockerenv") is not None:
        return "docker"
    if host.lstat("/run/.containerenv") is not None:
        return "podman"
    environ = host.read("/proc/1/environ")
    if environ:
        for item in environ.split("\0"):
            if item.startswith("container="):
                return item.split("=", 1)[1] or "container-other"
    return None


def installed_packages(status_text):
    """Names of installed packages from ``/var/lib/dpkg/status``."""
    installed = set()
    name = None
    for line in (status_text or "").splitlines():
        if line.startswith("Package:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("Status:") and name:
            if line.split(":", 1)[1].split()[-1:] == ["installed"]:
                installed.add(name)
        elif not line.strip():
            name = None
    return installed


def parse_key_values(text, separator=None):
    """``key value`` (``separator=None``) or ``key = value`` lines -> dict (last wins); flags map to True."""
    result = {}
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if separator:
            key, sep, value = stripped.partition(separator)
            result[key.strip()] = value.strip() if sep else True
        else:
            parts = stripped.split(None, 1)
            result[parts[0]] = parts[1].strip() if len(parts) > 1 else True
    return result


def _as_text(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())


class Auditor:
    """Evaluate the controls. ``params`` holds the expectations (see ``_audit_defaults.DEFAULTS``)."""

    def __init__(self, host, params=None):
        self.host = host
        merged = dict(DEFAULTS)
        for key, value in (params or {}).items():
            if value is not None:
                merged[key] = value
        areas = dict(DEFAULTS["areas"])
        areas.update({k: bool(v) for k, v in (merged.get("areas") or {}).items() if v is not None})
        merged["areas"] = areas
        self.params = merged
        self._status = None
        self._dpkg = None
        setting = str(merged.get("container", "auto")).lower()
        if setting in ("true", "yes"):
            self.container = "container"
        elif setting in ("false", "no"):
            self.container = None
        else:
            self.container = detect_container(host)

    # -- helpers -------------------------------------------------------------------------------
    def packages(self):
        if self._dpkg is None:
            self._dpkg = installed_packages(self.host.read("/var/lib/dpkg/status"))
        return self._dpkg

    def unit_state(self, *units):
        """``{unit: (ActiveState, UnitFileState)}`` from one ``systemctl show``."""
        systemctl = self.host.which("systemctl")
        if not systemctl:
            return {u: ("unknown", "unknown") for u in units}
        _rc, out, _err = self.host.run([systemctl, "show", "--no-pager", "--property=Id,ActiveState,UnitFileState", "--", *units])
        blocks = (out or "").split("\n\n")
        result = {}
        for index, unit in enumerate(units[:len(blocks)]):
            values = dict(line.split("=", 1) for line in blocks[index].splitlines() if "=" in line)
            result[unit] = (values.get("ActiveState", "unknown"), values.get("UnitFileState", "unknown"))
        for unit in units:
            result.setdefault(unit, ("unknown", "unknown"))
        return result

    def _container_na(self, control_id, title, area, what):
        return control(control_id, title, area, NA, "%s container: %s" % (self.container, what))

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
            ("not persisted: " + _short(wrong)) if wrong else "%d parameters persisted" % len(wanted),
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
            status, reason = FAIL, "differ: " + _short(differ)
        elif unsettable and self.container:
            status, reason = NA, "%s container: %d values cannot be set here (read-only /proc/sys): %s" % (
                self.container, len(unsettable), _short(unsettable))
        elif unsettable:
            status, reason = FAIL, "differ and are read-only: " + _short(unsettable)
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
                        _short(problems) if problems else "%d modules blocked, none loaded" % len(self.params["kernel_modules"]))]

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
        wrong = ["%s = %s (wanted %s)" % (k, values.get(k, "unset"), _as_text(v))
                 for k, v in self.params["login_defs"].items() if _as_text(values.get(k, "")) != _as_text(v)]
        results = [control("os.login_defs", "login.defs sets password ageing, login limits and hashing", "login_defs",
                           FAIL if wrong else PASS, _short(wrong) if wrong else "%d settings as wanted" % len(self.params["login_defs"]))]
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
            elif have is None or _as_text(have) != _as_text(value):
                wrong.append("%s = %s (wanted %s)" % (key, have if have is not None else "unset", value))
        return wrong

    def check_pam(self):
        commons = self._commons()
        results = []
        problems = self._profile_active("pwquality", commons) + self._conf_mismatches("/etc/security/pwquality.conf", self.params["pwquality"])
        results.append(control("os.pam.pwquality", "Passwords are checked for strength (pam_pwquality)", "pam",
                               FAIL if problems else PASS, _short(problems) if problems else "pam_pwquality active, pwquality.conf as wanted"))
        problems = []
        for name in ("ironclad-faillock", "ironclad-faillock-notify"):
            problems += self._profile_active(name, commons)
        problems += self._conf_mismatches("/etc/security/faillock.conf", self.params["faillock"])
        results.append(control("os.pam.faillock", "Accounts lock after repeated failed logins (pam_faillock)", "pam",
                               FAIL if problems else PASS,
                               _short(problems) if problems else "pam_faillock active (deny=%s)" % self.params["faillock"].get("deny")))
        if self.params.get("pam_tmpdir", True):
            problems = self._profile_active("tmpdir", commons)
            results.append(control("os.pam.tmpdir", "Sessions get a private temporary directory (pam_tmpdir)", "pam",
                                   FAIL if problems else PASS, _short(problems) if problems else "pam_tmpdir active"))
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
                        FAIL if problems else PASS, _short(problems) if problems else "%d paths checked" % checked)]

    def check_suid_sgid(self):
        found = self.host.find_setuid(self.params["suid_sgid_roots"], DEFAULT_SETUID_EXCLUDES)
        allowed, unexpected = classify_setuid(found, self.params["suid_sgid_allowed"])
        return [control("os.suid_sgid", "Only allowed files are set-user-ID or set-group-ID", "suid_sgid",
                        FAIL if unexpected else PASS,
                        ("outside the allow-list: " + _short(i["path"] for i in unexpected)) if unexpected
                        else "%d set-ID files, all allowed" % len(allowed))]

    def check_legacy_packages(self):
        present = sorted(set(self.params["legacy_packages"]) & self.packages())
        return [control("os.legacy_packages", "Legacy and unneeded packages are absent", "legacy_packages",
                        FAIL if present else PASS,
                        ("installed: " + _short(present)) if present else "none of %d installed" % len(self.params["legacy_packages"]))]

    def check_auditd(self):
        title, rules_title = "auditd is running", "Audit rules are loaded"
        if self.container:
            return [self._container_na("os.auditd", title, "auditd", "the kernel audit subsystem belongs to the host"),
                    self._container_na("os.auditd.rules", rules_title, "auditd", "the kernel audit subsystem belongs to the host")]
        active, enabled = self.unit_state("auditd.service")["auditd.service"]
        results = [control("os.auditd", title, "auditd", PASS if active == "active" and enabled == "enabled" else FAIL,
                           "auditd.service %s, %s" % (active, enabled))]
        wanted_keys = set(re.findall(r"-k\s+(\S+)", self.host.read("/etc/audit/rules.d/50-ironclad-hardening.rules") or ""))
        auditctl = self.host.which("auditctl")
        if not auditctl:
            results.append(control("os.auditd.rules", rules_title, "auditd", FAIL, "auditctl not found"))
            return results
        _rc, listed, _err = self.host.run([auditctl, "-l"])
        loaded = set(re.findall(r"(?:-k\s+|key=)(\S+)", listed or ""))
        missing = sorted(wanted_keys - loaded) if wanted_keys else ["the role's rule file is missing"]
        problems = ["keys not loaded: " + _short(missing)] if missing else []
        if self.params.get("auditd_immutable"):
            _rc, status_out, _err = self.host.run([auditctl, "-s"])
            if not re.search(r"^enabled 2\b", status_out or "", re.M):
                problems.append("rules are not immutable (-e 2)")
        results.append(control("os.auditd.rules", rules_title, "auditd", FAIL if problems else PASS,
                               "; ".join(problems) if problems else "%d rule keys loaded" % len(loaded)))
        return results

    def check_aide(self):
        config = self.host.read("/etc/aide/aide.conf") or ""
        binary = self.host.which("aide")
        problems = []
        if not binary:
            problems.append("aide is not installed")
        if not re.search(r"^\s*database_in\s*=", config, re.M):
            problems.append("/etc/aide/aide.conf has no database_in")
        if not re.search(r"sha512|sha256", config):
            problems.append("/etc/aide/aide.conf uses no SHA-2 checksum")
        results = [control("os.aide", "AIDE is installed and configured", "aide", FAIL if problems else PASS,
                           "; ".join(problems) if problems else "aide with SHA-2 checksums")]
        states = self.unit_state("ironclad-aide-init.service", "ironclad-aide-check.timer")
        if self.host.lstat("/var/lib/aide/aide.db") is not None:
            results.append(control("os.aide.database", "The AIDE database exists", "aide", PASS, "/var/lib/aide/aide.db"))
        elif states["ironclad-aide-init.service"][0] in ("activating", "active"):
            results.append(control("os.aide.database", "The AIDE database exists", "aide", NA,
                                   "pending: the first database is being built (ironclad-aide-init.service %s)" % states["ironclad-aide-init.service"][0]))
        else:
            results.append(control("os.aide.database", "The AIDE database exists", "aide", FAIL, "no /var/lib/aide/aide.db"))
        active, enabled = states["ironclad-aide-check.timer"]
        results.append(control("os.aide.schedule", "AIDE checks the system daily", "aide",
                               PASS if active == "active" and enabled == "enabled" else FAIL, "ironclad-aide-check.timer %s, %s" % (active, enabled)))
        return results

    def _apt_sources(self):
        texts = [self.host.read("/etc/apt/sources.list") or ""]
        for name in self.host.listdir("/etc/apt/sources.list.d"):
            if name.endswith(".list"):
                texts.append(self.host.read("/etc/apt/sources.list.d/" + name) or "")
            elif name.endswith(".sources"):
                text = self.host.read("/etc/apt/sources.list.d/" + name) or ""
                stanzas = [s for s in re.split(r"\n\s*\n", text) if not re.search(r"^Enabled:\s*no", s, re.M | re.I)]
                texts.append("\n".join(stanzas))
        return "\n".join(line for text in texts for line in text.splitlines() if not line.strip().startswith("#"))

    def check_updates(self):
        results = []
        sources = self._apt_sources()
        has_security = bool(re.search(r"debian-security|security\.debian\.org", sources))
        results.append(control("os.updates.security_repository", "Debian's security repository is an apt source", "updates",
                               PASS if has_security else FAIL, "found" if has_security else "no source names debian-security"))
        problems = []
        if "unattended-upgrades" not in self.packages():
            problems.append("unattended-upgrades is not installed")
        apt_config = self.host.which("apt-config")
        dump = self.host.run([apt_config, "dump"])[1] if apt_config else ""
        if not re.search(r'^APT::Periodic::Unattended-Upgrade "1";', dump or "", re.M):
            problems.append('APT::Periodic::Unattended-Upgrade is not "1"')
        _active, enabled = self.unit_state("apt-daily-upgrade.timer")["apt-daily-upgrade.timer"]
        if enabled != "enabled":
            problems.append("apt-daily-upgrade.timer is %s" % enabled)
        results.append(control("os.updates.unattended", "Security updates install automatically", "updates",
                               FAIL if problems else PASS, "; ".join(problems) if problems else "unattended-upgrades daily"))
        missing = sorted(set(self.params["updates_tools"]) - self.packages())
        problems = ["missing: " + _short(missing)] if missing else []
        if "debsums" in self.params["updates_tools"]:
            check = parse_key_values(self.host.read("/etc/default/debsums"), "=").get("CRON_CHECK", "never")
            if str(check).strip('"') == "never":
                problems.append("debsums never verifies packages (CRON_CHECK=never)")
        results.append(control("os.updates.tools", "apt tools (package checksums, change notes) are installed and used", "updates",
                               FAIL if problems else PASS, "; ".join(problems) if problems else _short(self.params["updates_tools"])))
        return results

    def check_rootkit_scan(self):
        installed = "chkrootkit" in self.packages()
        active, enabled = self.unit_state("chkrootkit.timer")["chkrootkit.timer"]
        ok = installed and active == "active" and enabled == "enabled"
        return [control("os.rootkit_scan", "A rootkit scan runs daily", "rootkit_scan", PASS if ok else FAIL,
                        "chkrootkit %s, chkrootkit.timer %s, %s" % ("installed" if installed else "missing", active, enabled))]

    def check_accounting(self):
        title = "Process accounting is on"
        if self.container:
            return [self._container_na("os.accounting", title, "accounting", "accton needs CAP_SYS_PACCT")]
        active, enabled = self.unit_state("acct.service")["acct.service"]
        ok = active == "active" and self.host.lstat("/var/log/account/pacct") is not None
        return [control("os.accounting", title, "accounting", PASS if ok else FAIL, "acct.service %s, %s" % (active, enabled))]

    def check_banners(self):
        problems = []
        paths = ["/etc/issue", "/etc/issue.net"] + (["/etc/motd"] if self.params.get("banner_motd") else [])
        wanted = self.params.get("banner_text")
        for path in paths:
            text = self.host.read(path)
            if not text or not text.strip():
                problems.append("%s is empty" % path)
                continue
            if re.search(r"\\[mrsv]", text):
                problems.append("%s reveals system details (\\m \\r \\s \\v)" % path)
            if wanted and text.strip() != wanted.strip():
                problems.append("%s differs from the banner text" % path)
        return [control("os.banners", "Legal banners are shown and reveal no system details", "banners",
                        FAIL if problems else PASS, "; ".join(problems) if problems else ", ".join(paths))]

    def check_time_sync(self):
        title = "The clock is synchronised"
        if self.container:
            return [self._container_na("os.time_sync", title, "time_sync", "the clock belongs to the host")]
        states = self.unit_state("chrony.service", "systemd-timesyncd.service")
        running = [u for u, (active, _e) in states.items() if active == "active"]
        return [control("os.time_sync", title, "time_sync", PASS if running else FAIL,
                        ("running: " + ", ".join(running)) if running else "neither chrony nor systemd-timesyncd runs")]

    def _allow_list(self, control_id, title, allow_path, deny_path, wanted):
        problems = []
        st = self.host.lstat(allow_path)
        if st is None:
            problems.append("%s is missing" % allow_path)
        else:
            users = sorted(line.strip() for line in (self.host.read(allow_path) or "").splitlines() if line.strip() and not line.startswith("#"))
            if users != sorted(wanted):
                problems.append("%s lists %s" % (allow_path, ", ".join(users) or "nobody"))
            if stat.S_IMODE(st.st_mode) & 0o137:
                problems.append("%s mode %04o (at most 0640)" % (allow_path, stat.S_IMODE(st.st_mode)))
            if st.st_uid != 0:
                problems.append("%s is not owned by root" % allow_path)
        if self.host.lstat(deny_path) is not None:
            problems.append("%s exists" % deny_path)
        return control(control_id, title, "cron", FAIL if problems else PASS, "; ".join(problems) if problems else "only %s" % ", ".join(wanted))

    def check_cron(self):
        return [
            self._allow_list("os.cron_allow", "Only allowed users use cron", "/etc/cron.allow", "/etc/cron.deny", self.params["cron_allow"]),
            self._allow_list("os.at_allow", "Only allowed users use at", "/etc/at.allow", "/etc/at.deny", self.params["at_allow"]),
        ]

    def check_fail2ban(self):
        title = "fail2ban bans repeated SSH login failures"
        active, enabled = self.unit_state("fail2ban.service")["fail2ban.service"]
        if active != "active":
            return [control("os.fail2ban", title, "fail2ban", FAIL, "fail2ban.service %s, %s" % (active, enabled))]
        client = self.host.which("fail2ban-client")
        rc, out, err = self.host.run([client, "status", "sshd"]) if client else (1, "", "fail2ban-client not found")
        return [control("os.fail2ban", title, "fail2ban", PASS if rc == 0 else FAIL,
                        "sshd jail active" if rc == 0 else "sshd jail not active: %s" % (err or out).strip()[:200])]

    def check_remote_syslog(self):
        host = self.params.get("remote_syslog_host")
        title = "Logs are forwarded to a remote syslog host"
        if not host:
            return [control("os.remote_syslog", title, "remote_syslog", NA, "no remote syslog host configured")]
        texts = [self.host.read("/etc/rsyslog.conf") or ""] + [self.host.read("/etc/rsyslog.d/" + n) or "" for n in self.host.listdir("/etc/rsyslog.d")]
        configured = any(host in text for text in texts)
        active = self.unit_state("rsyslog.service")["rsyslog.service"][0]
        ok = configured and active == "active"
        return [control("os.remote_syslog", title, "remote_syslog", PASS if ok else FAIL,
                        "rsyslog %s, target %s %s" % (active, host, "configured" if configured else "not configured"))]

    def check_ssh(self):
        sshd = self.host.which("sshd")
        if not sshd:
            return [control("ssh.installed", "sshd is evaluated", "ssh", NA, "sshd is not installed")]
        rc, out, err = self.host.run([sshd, "-T"])
        if rc != 0 and "privilege separation directory" in (err or ""):
            return [control("ssh.config", "sshd accepts its configuration", "ssh", NA, "sshd is not running (no /run/sshd)")]
        if rc != 0:
            return [control("ssh.config", "sshd accepts its configuration", "ssh", FAIL, "sshd -T failed: %s" % (err or out).strip()[:300])]
        _rc, vout, verr = self.host.run([sshd, "-V"])
        try:
            version = ssh.parse_openssh_version((verr or "") + (vout or ""))
        except ssh.SshAlgorithmError:
            version = None
        findings = sshd_audit.evaluate_sshd_config(out, version, self.params.get("ssh_policy") or {})
        config = sshd_audit.parse_sshd_t(out)
        keys = []
        for path in config.get("hostkey", []):
            parsed = ssh_keys.parse_public_key(self.host.read(path + ".pub") or "")
            if parsed:
                keys.append({"path": path, "type": parsed["type"], "bits": parsed["bits"]})
            else:
                keys.append({"path": path, "type": "unknown", "bits": 0})
        findings.append(sshd_audit.evaluate_host_keys(keys))
        findings.append(sshd_audit.evaluate_moduli(self.host.read("/etc/ssh/moduli")))
        return [control(f["id"], f["title"], "ssh", f["status"], f["reason"]) for f in findings]

    # -- run -----------------------------------------------------------------------------------
    def run(self):
        controls = []
        for area in AREAS:
            method = getattr(self, "check_" + area)
            if not self.params["areas"].get(area, True):
                reason = "area disabled (os_hardening_%s_enabled: false)" % area if area != "ssh" else "SSH evaluation disabled"
                controls.append(control("%s.%s" % ("ssh" if area == "ssh" else "os", area), "Area %s" % area, area, NA, reason))
                continue
            controls.extend(method())
        counts = {PASS: 0, FAIL: 0, NA: 0}
        for item in controls:
            counts[item["status"]] += 1
        applicable = counts[PASS] + counts[FAIL]
        score = round(100.0 * counts[PASS] / applicable, 1) if applicable else 100.0
        return {
            "controls": controls,
            "score": score,
            "summary": {"pass": counts[PASS], "fail": counts[FAIL], "not_applicable": counts[NA], "total": len(controls)},
            "failed_controls": [c["id"] for c in controls if c["status"] == FAIL],
            "container": self.container,
        }


class AuditBackend:
    """The back end of the hardening_audit module: the audit of this host, with the module's options
    as expectations. Every option is a key of ``DEFAULTS``; one left unset (None) keeps the default."""

    def __init__(self, module):
        self.module = module

    def run(self):
        # Auditor() already reads the host (container detection), so it is built here, where the
        # module's ValueError/OSError handling covers it.
        result = Auditor(Host(self.module), self.module.params).run()
        # The audit only reads the host, so the module never reports a change.
        return dict(changed=False, **result)
