# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words of an iptables rule: split a line of ``iptables-save`` output like ``iptables-restore``
does, split a rule as a user writes it, and quote tokens back the way ``iptables-save`` prints them.
Also the two address families and :class:`RuleError`, which every module of the package shares.

The whole rule (header, matches, target) is read in :mod:`.rules`; plain Python without Ansible.
"""

from __future__ import annotations

__metaclass__ = type

import re
import shlex

IPV4 = "ipv4"
IPV6 = "ipv6"
FAMILIES = (IPV4, IPV6)


class RuleError(ValueError):
    """A rule that cannot be understood; the message says what is wrong and how to fix it."""


def split_restore_line(line):
    """Split one line of ``iptables-save`` output like ``iptables-restore`` does.

    Outside double quotes a backslash is an ordinary character; inside, it escapes the next one.
    ``""`` is an empty argument.
    """
    params = []
    buf = []
    in_quote = False
    escaped = False
    have_param = False
    for char in line:
        if in_quote:
            if escaped:
                buf.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quote = False
                params.append("".join(buf))
                buf = []
                have_param = False
            else:
                buf.append(char)
            continue
        if char == '"':
            in_quote = True
            have_param = True
            continue
        if char in " \t\n\r":
            if have_param:
                params.append("".join(buf))
                buf = []
                have_param = False
            continue
        buf.append(char)
        have_param = True
    if in_quote:
        raise RuleError("unterminated double quote in %r" % line)
    if have_param:
        params.append("".join(buf))
    return params


_SAVE_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")
_PLAIN_SAFE = re.compile(r"^[^\s\"'\\]+$")
# Options whose value iptables prints with xtables_save_string() (quoted unless purely [A-Za-z0-9_-]).
_STRING_OPTIONS = frozenset(["--comment", "--log-prefix", "--nflog-prefix"])


def quote_token(token, save_style=False):
    """Quote one token for an ``iptables-restore`` line.

    ``save_style`` mimics iptables-save's quoting of free-text values (comments, log prefixes):
    anything but letters, digits, ``_`` and ``-`` is put in double quotes. Other tokens are quoted
    only when they must be (empty, whitespace, quotes, backslashes).
    """
    if save_style:
        needs = not _SAVE_SAFE.match(token)
    else:
        needs = not _PLAIN_SAFE.match(token)
    if not needs:
        return token
    escaped = []
    for char in token:
        if char in "\"\\'":
            escaped.append("\\")
        escaped.append(char)
    return '"%s"' % "".join(escaped)


def join_tokens(tokens):
    """Render canonical tokens as one line, quoted the way iptables-save prints them."""
    out = []
    prev = None
    for token in tokens:
        out.append(quote_token(token, save_style=prev in _STRING_OPTIONS))
        prev = token
    return " ".join(out)


def split_user_rule(rule):
    """Split a rule as a user writes it (shell-like quoting, single or double quotes)."""
    if not any(char in rule for char in "\"'\\#\n\r"):
        return rule.split()
    try:
        tokens = shlex.split(rule, comments=False, posix=True)
    except ValueError as exc:
        raise RuleError("cannot split %r into words: %s; check the quotes" % (rule, exc)) from exc
    for token in tokens:
        if "\n" in token or "\r" in token:
            raise RuleError("a rule cannot contain a line break: %r" % rule)
    return tokens
