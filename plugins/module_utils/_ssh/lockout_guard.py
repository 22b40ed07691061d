# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lockout guard for sshd changes: would the user Ansible connects as still get in?

Pure functions of data. The caller (``ironclad.infra.sshd_config``) gathers the facts on the host --
the candidate configuration as ``sshd -T -C user=...`` prints it, the account, its authorized keys --
and refuses to install a configuration for which :func:`evaluate_lockout` returns problems.

sshd semantics followed (OpenSSH auth.c ``allowed_user`` and match.c):

- DenyUsers, AllowUsers, DenyGroups, AllowGroups are checked in that order;
- a user entry is ``USER`` or ``USER@HOST`` where HOST is a pattern list matched against the client's
  address (and its name when ``UseDNS yes``), with ``!`` negation and CIDR blocks;
- ``*`` and ``?`` are the only wildcards; user and group names are case sensitive.

It also finds the SSH session a module runs over (:func:`find_ssh_session`), for every guard that
must keep that session working (``sshd_config``, ``iptables_ruleset``). ``SSH_CONNECTION`` is set
by sshd in the login shell, but ``become`` hides it: sudo's ``env_reset`` keeps only its short
``env_keep`` list (Debian's sudoers does not add ``SSH_CONNECTION``), su starts a clean environment.
The process that escalated still holds the login environment, so the session is read from the
module's own environment first and then from the environments of its ancestors in ``/proc``, up
to the sshd session process. That needs no help from the controller and no change to sudoers, it
follows ControlMaster and pipelining (the module always descends from the sshd session it runs
in), and it finds nothing under connections that do not log in through sshd (docker exec, local).
Reading ``/proc/<pid>/environ`` is the one side effect here; its root is a parameter, so tests
give a directory of their own.
"""

from __future__ import annotations

import ipaddress
import os
import re

from ansible_collections.ironclad.infra.plugins.module_utils._ssh.keys import parse_public_key

__metaclass__ = type

# Connection plugins that log in through sshd (short names; FQCNs are reduced to their last part).
SSH_CONNECTIONS = frozenset(["ssh", "smart", "paramiko", "paramiko_ssh", "libssh", "network_cli", "netconf"])


def is_ssh_connection(connection):
    """True when an Ansible connection plugin name (``ssh``, ``ansible.builtin.ssh``, ...) logs in via sshd."""
    name = (connection or "ssh").strip().lower()
    return name.rsplit(".", 1)[-1] in SSH_CONNECTIONS


def _pattern_regex(pattern):
    out = []
    for char in pattern:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("^" + "".join(out) + "$", re.DOTALL)


def match_pattern(value, pattern):
    """OpenSSH ``match_pattern``: ``*`` and ``?`` wildcards, case sensitive, no negation."""
    return bool(_pattern_regex(pattern).match(value))


def _match_address(address, pattern):
    if "/" in pattern:
        try:
            return ipaddress.ip_address(address) in ipaddress.ip_network(pattern, strict=False)
        except ValueError:
            return False
    return match_pattern(address, pattern)


def match_host_and_ip(host, address, pattern_list):
    """OpenSSH ``match_host_and_ip`` for the HOST part of ``USER@HOST``.

    Returns True (match), False (no match) or None (cannot decide: no client address known).
    """
    matched = False
    undecided = False
    for raw in pattern_list.split(","):
        negated = raw.startswith("!")
        pattern = raw[1:] if negated else raw
        if not pattern:
            continue
        if pattern == "*":
            hit = True
        elif address is None and host is None:
            undecided = True
            continue
        else:
            hit = bool(address and _match_address(address, pattern))
            if not hit and host:
                hit = match_pattern(host.lower(), pattern.lower())
        if hit and negated:
            return False
        if hit:
            matched = True
    if matched:
        return True
    return None if undecided else False


def match_user_entry(user, host, address, entry):
    """Match one AllowUsers/DenyUsers entry. True, False, or None when the host part cannot be decided."""
    if "@" not in entry:
        return match_pattern(user, entry)
    user_pattern, host_patterns = entry.split("@", 1)
    if not match_pattern(user, user_pattern):
        return False
    return match_host_and_ip(host, address, host_patterns)


def _split_values(values):
    out = []
    for value in values or []:
        out.extend(str(value).split())
    return out


def access_problems(user, groups, config, address=None, host=None):
    """Why sshd's allow/deny lists (from ``config``, an ``sshd -T`` dict) would refuse ``user``.

    ``groups`` are the user's group names (primary first). Returns a list of sentences.
    """
    if host is None and address is not None and (_first(config, "usedns", "no").lower() == "no"):
        host = address
    deny_users = _split_values(config.get("denyusers"))
    allow_users = _split_values(config.get("allowusers"))
    deny_groups = _split_values(config.get("denygroups"))
    allow_groups = _split_values(config.get("allowgroups"))
    where = "client address %s" % address if address else "unknown client address"
    for entry in deny_users:
        hit = match_user_entry(user, host, address, entry)
        if hit:
            return ["'%s' matches DenyUsers entry '%s'" % (user, entry)]
        if hit is None:
            return ["DenyUsers entry '%s' may match '%s' (%s)" % (entry, user, where)]
    if allow_users:
        results = [match_user_entry(user, host, address, entry) for entry in allow_users]
        if not any(r is True for r in results):
            if any(r is None for r in results):
                return ["cannot tell whether AllowUsers (%s) admits '%s' (%s)" % (" ".join(allow_users), user, where)]
            return ["'%s' is not in AllowUsers (%s)" % (user, " ".join(allow_users))]
    for entry in deny_groups:
        for group in groups:
            if match_pattern(group, entry):
                return ["'%s' is in group '%s', which matches DenyGroups entry '%s'" % (user, group, entry)]
    if allow_groups:
        if not any(match_pattern(group, entry) for entry in allow_groups for group in groups):
            return ["none of the groups of '%s' (%s) is in AllowGroups (%s)" % (user, ", ".join(groups) or "none", " ".join(allow_groups))]
    return []


def _first(config, keyword, default=None):
    values = config.get(keyword)
    if values is None:
        return default
    if isinstance(values, (list, tuple)):
        return str(values[0]) if values else default
    return str(values)


def _accepted(config):
    values = config.get("pubkeyacceptedalgorithms") or config.get("pubkeyacceptedkeytypes")
    if not values:
        return None  # not reported: sshd's built-in list, which accepts every key type parse_public_key knows
    names = []
    for value in values if isinstance(values, (list, tuple)) else [values]:
        names.extend(n for n in str(value).split(",") if n)
    return names


def _key_usable(key, accepted, required_rsa_size):
    algorithm = key["algorithm"]
    if key["type"] == "rsa" and required_rsa_size and (key["bits"] or 0) < required_rsa_size:
        return False, "RSA key of %s bits is below RequiredRSASize %d" % (key["bits"], required_rsa_size)
    if algorithm == "ssh-rsa":
        candidates = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
    elif algorithm == "ssh-rsa-cert-v01@openssh.com":
        candidates = ["rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", algorithm]
    else:
        candidates = [algorithm]
    if accepted is None:
        return True, algorithm
    if "cert-authority" in key.get("options", ""):
        if any(a.endswith("-cert-v01@openssh.com") for a in accepted):
            return True, "certificate authority"
        return False, "cert-authority line but no certificate algorithm accepted"
    if any(c in accepted for c in candidates):
        return True, algorithm
    return False, "%s is not in PubkeyAcceptedAlgorithms" % algorithm


def usable_keys(authorized_keys, config):
    """Split authorized key lines into usable and rejected ones under ``config`` (an ``sshd -T`` dict).

    ``authorized_keys`` is a list of ``(path, text)``. Returns ``(usable, rejected)``, lists of
    sentences.
    """
    accepted = _accepted(config)
    try:
        required = int(_first(config, "requiredrsasize", "1024"))
    except ValueError:
        required = 1024
    usable = []
    rejected = []
    for path, text in authorized_keys or []:
        for number, line in enumerate((text or "").splitlines(), 1):
            key = parse_public_key(line)
            if key is None:
                continue
            ok, why = _key_usable(key, accepted, required)
            label = "%s:%d (%s %s)" % (path, number, key["type"], key["bits"])
            (usable if ok else rejected).append(label if ok else "%s: %s" % (label, why))
    return usable, rejected


def expand_authorized_keys_paths(patterns, account):
    """Expand AuthorizedKeysFile tokens (``%h``, ``%u``, ``%U``, ``%%``; relative to the home directory)."""
    paths = []
    for pattern in patterns:
        if pattern.lower() == "none":
            continue
        out = []
        index = 0
        while index < len(pattern):
            char = pattern[index]
            if char == "%" and index + 1 < len(pattern):
                token = pattern[index + 1]
                out.append({"h": account["home"], "u": account["name"], "U": str(account["uid"]), "%": "%"}.get(token, "%" + token))
                index += 2
                continue
            out.append(char)
            index += 1
        path = "".join(out)
        if not path.startswith("/"):
            path = account["home"].rstrip("/") + "/" + path
        paths.append(path)
    return paths


def _methods_usable(config, key_usable, user):
    """Can ``user`` authenticate with some method list? Returns (bool, explanation)."""
    password = _first(config, "passwordauthentication", "yes").lower() == "yes"
    kbd = _first(config, "kbdinteractiveauthentication", "yes").lower() == "yes"
    pubkey = _first(config, "pubkeyauthentication", "yes").lower() == "yes" and key_usable
    root_login = _first(config, "permitrootlogin", "prohibit-password").lower()
    if user == "root":
        if root_login == "no":
            return False, "PermitRootLogin no refuses root, the connecting user"
        if root_login == "forced-commands-only":
            return False, "PermitRootLogin forced-commands-only gives root, the connecting user, no shell"
        if root_login in ("prohibit-password", "without-password"):
            password = kbd = False
    available = {"publickey": pubkey, "password": password, "keyboard-interactive": kbd}
    methods = " ".join(str(v) for v in (config.get("authenticationmethods") or ["any"]))
    if methods.strip().lower() in ("", "any"):
        lists = [["publickey"], ["password"], ["keyboard-interactive"]]
    else:
        lists = [item.split(",") for item in methods.split()]
    for methods_list in lists:
        if all(available.get(m.split(":", 1)[0], False) for m in methods_list):
            return True, "can log in with %s" % "+".join(methods_list)
    off = [m for m, ok in sorted(available.items()) if not ok]
    return False, "no usable login method (%s unavailable)" % ", ".join(off)


def evaluate_lockout(user, account, groups, config, authorized_keys, address=None, client_algorithms=None):
    """Would ``user`` be locked out by the candidate sshd configuration?

    - ``account``: ``{"name", "uid", "home"}`` or ``None`` when the user does not exist on the host;
    - ``groups``: group names of the user;
    - ``config``: the candidate's ``sshd -T -C user=...`` output as a dict (:func:`parse_sshd_t`);
    - ``authorized_keys``: ``[(path, text)]`` read from the AuthorizedKeysFile paths;
    - ``address``: the client address of the current SSH session, when known;
    - ``client_algorithms``: ``{"kex": [...], "ciphers": [...], "macs": [...]}`` the controller's SSH
      client supports (``ssh -Q kex``), to catch a key exchange the controller cannot speak.

    Returns ``{"problems": [...], "notes": [...]}``; no problems means the user still gets in.
    """
    problems = []
    notes = []
    if account is None:
        return {"problems": ["the connecting user '%s' does not exist on this host" % user], "notes": notes}
    problems.extend(access_problems(user, groups, config, address=address))

    key_possible = True
    if _first(config, "authorizedkeyscommand", "none").lower() != "none":
        notes.append("AuthorizedKeysCommand is set: keys cannot be checked from files, assuming one exists")
    elif _first(config, "trustedusercakeys", "none").lower() != "none":
        notes.append("TrustedUserCAKeys is set: certificate logins cannot be checked, assuming one exists")
    else:
        usable, rejected = usable_keys(authorized_keys, config)
        key_possible = bool(usable)
        if usable:
            notes.append("usable keys: %s" % ", ".join(usable))
        for item in rejected:
            notes.append("rejected key %s" % item)
    ok, why = _methods_usable(config, key_possible, user)
    if not ok:
        if not key_possible:
            paths = ", ".join(p for p, _t in authorized_keys or []) or "no AuthorizedKeysFile"
            why += "; '%s' has no authorized key sshd would accept (looked in %s)" % (user, paths)
        problems.append(why)
    else:
        notes.append(why)

    for kind, keyword in (("kex", "kexalgorithms"), ("ciphers", "ciphers"), ("macs", "macs")):
        client = (client_algorithms or {}).get(kind)
        if not client:
            continue
        server = []
        for value in config.get(keyword) or []:
            server.extend(n for n in str(value).split(",") if n)
        if server and not set(server) & set(client):
            problems.append(
                "the controller's SSH client supports none of %s (%s)" % (keyword, ",".join(server))
            )
    return {"problems": problems, "notes": notes}


# ---------------------------------------------------------------------------------------------
# The SSH session a module runs over
# ---------------------------------------------------------------------------------------------

def plain_address(text):
    """An address as ipaddress prints it: IPv6 zone dropped, IPv4-mapped IPv6 turned into IPv4."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def parse_ssh_connection(text):
    """``SSH_CONNECTION`` (``client client_port server server_port``) as a dict, or None when malformed."""
    parts = (text or "").split()
    if len(parts) != 4 or not parts[1].isdigit() or not parts[3].isdigit():
        return None
    client, server = plain_address(parts[0]), plain_address(parts[2])
    if client is None or server is None:
        return None
    return {"client": client, "client_port": int(parts[1]), "server": server, "server_port": int(parts[3])}


def _read_environ(proc, pid):
    try:
        with open(os.path.join(proc, str(pid), "environ"), "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    env = {}
    for item in data.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            env[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return env


def _read_status(proc, pid):
    """``(parent pid, command name)`` of a process from ``/proc/<pid>/status``, or None."""
    try:
        with open(os.path.join(proc, str(pid), "status"), encoding="utf-8", errors="replace") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        return int(fields["PPid"].strip()), fields.get("Name", "").strip()
    except (OSError, KeyError, ValueError):
        return None


def find_ssh_session(environ=None, pid=None, proc="/proc", max_depth=64):
    """The SSH session this process runs over, or None when it does not run over SSH.

    Looks at ``SSH_CONNECTION`` in ``environ`` (the process's own environment), then in the
    environments of its ancestors (``pid``'s parent, its parent, ...) read from ``proc``. Returns
    ``{"client", "client_port", "server", "server_port", "source"}``; ``source`` says where the value
    was found (``environment``, or ``process 1234 (sudo)``).
    """
    environ = os.environ if environ is None else environ
    session = parse_ssh_connection(environ.get("SSH_CONNECTION"))
    if session is not None:
        session["source"] = "environment"
        return session
    current = os.getpid() if pid is None else pid
    seen = set()
    for _step in range(max_depth):
        status = _read_status(proc, current)
        if status is None:
            return None
        parent = status[0]
        if parent <= 0 or parent in seen:
            return None
        seen.add(parent)
        env = _read_environ(proc, parent)
        session = parse_ssh_connection((env or {}).get("SSH_CONNECTION"))
        if session is not None:
            parent_status = _read_status(proc, parent)
            session["source"] = "process %d (%s)" % (parent, parent_status[1] if parent_status else "?")
            return session
        if parent == 1:
            return None
        current = parent
    return None
