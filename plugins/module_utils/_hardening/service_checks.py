# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardening audit's checks of services and SSH: legacy packages, auditd, AIDE, updates, rootkit scan,
accounting, banners, time sync, cron, fail2ban, remote syslog and sshd (pure: they read through the auditor's host)."""

from __future__ import annotations

import re
import stat

from ansible_collections.ironclad.infra.plugins.module_utils._hardening.controls import FAIL, NA, PASS, control, parse_key_values, short_list
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import algorithms as ssh
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import keys as ssh_keys
from ansible_collections.ironclad.infra.plugins.module_utils._ssh import sshd_audit

__metaclass__ = type


class ServiceChecks:
    """The ``check_<area>`` methods of these areas; mixed into :class:`.audit.Auditor`, whose ``host``,
    ``params`` and helpers they use."""

    def check_legacy_packages(self):
        present = sorted(set(self.params["legacy_packages"]) & self.packages())
        return [control("os.legacy_packages", "Legacy and unneeded packages are absent", "legacy_packages",
                        FAIL if present else PASS,
                        ("installed: " + short_list(present)) if present else "none of %d installed" % len(self.params["legacy_packages"]))]

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
        problems = ["keys not loaded: " + short_list(missing)] if missing else []
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
        problems = ["missing: " + short_list(missing)] if missing else []
        if "debsums" in self.params["updates_tools"]:
            check = parse_key_values(self.host.read("/etc/default/debsums"), "=").get("CRON_CHECK", "never")
            if str(check).strip('"') == "never":
                problems.append("debsums never verifies packages (CRON_CHECK=never)")
        results.append(control("os.updates.tools", "apt tools (package checksums, change notes) are installed and used", "updates",
                               FAIL if problems else PASS, "; ".join(problems) if problems else short_list(self.params["updates_tools"])))
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
