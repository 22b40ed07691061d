# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Value validators shared by the roles' input checks, the filters and the modules — pure functions.

Every rule is a function ``rule(value) -> None | str``: ``None`` when the value is good, otherwise what
is allowed, written to follow the variable's name ("must be a port 1-65535"). ``Problems`` collects
the messages of one role's input, each naming the variable and the element
(``firewall_services[2].port must be ..., got 70000``), so all mistakes are reported at once.
"""

from __future__ import annotations

import ipaddress
import re

__metaclass__ = type


def _is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and re.match(r"^[0-9]+$", value.strip()) is not None


def show(value):
    """A value as the message shows it: strings quoted, everything else as Python writes it."""
    return repr(value) if isinstance(value, str) else str(value)


# ---- numbers -----------------------------------------------------------------------------------------

def int_range(low, high=None):
    """A whole number from ``low`` to ``high`` (no upper bound when ``high`` is None)."""
    allowed = ("a whole number %d-%d" % (low, high)) if high is not None else ("a whole number of at least %d" % low)

    def rule(value):
        if not _is_int(value) or int(value) < low or (high is not None and int(value) > high):
            return "must be " + allowed
        return None
    return rule


PORT_ALLOWED = "a port 1-65535"


def port(value):
    """A TCP/UDP port 1-65535."""
    if not _is_int(value) or not 1 <= int(value) <= 65535:
        return "must be " + PORT_ALLOWED
    return None


def port_spec(value):
    """An iptables port match: ``22``, a range ``8000:8100`` or a list ``80,443`` (no spaces needed)."""
    text = str(value).replace(" ", "") if value is not None and not isinstance(value, bool) else ""
    parts = text.split(",") if text else []
    ok = bool(parts)
    for part in parts:
        bounds = part.split(":")
        if len(bounds) > 2 or not all(b.isdigit() and 0 < int(b) <= 65535 for b in bounds):
            ok = False
        elif len(bounds) == 2 and int(bounds[0]) > int(bounds[1]):
            ok = False
    if not ok:
        return "must be a port 1-65535, a range such as 8000:8100 or a list such as 80,443"
    return None


def fraction(value):
    """A number greater than 0 and smaller than 1 (e.g. 0.6)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not 0 < number < 1:
        return "must be a fraction between 0 and 1 (e.g. 0.6)"
    return None


# ---- addresses ---------------------------------------------------------------------------------------

_DOTTED_NUMBERS = re.compile(r"^[0-9.]+(/.*)?$")
_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def ip_address(value):
    """An IPv4 or IPv6 address (no prefix)."""
    try:
        ipaddress.ip_address(str(value).strip())
    except ValueError:
        return "must be an IPv4 or IPv6 address (e.g. 10.0.0.5, fd00::5)"
    return None


def ip_network(value):
    """An address or a network in CIDR notation, of either family (host bits may be set: 10.0.0.5/24)."""
    try:
        ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return "must be an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/64)"
    return None


def cidr(value):
    """A network in CIDR notation with no host bits set (10.200.0.0/16)."""
    text = str(value).strip()
    if "/" not in text:
        return "must be a network in CIDR notation (e.g. 10.200.0.0/16)"
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        return "must be a network in CIDR notation (e.g. 10.200.0.0/16): %s" % exc
    return None


def hostname(value):
    """A DNS host name: dot-separated labels of letters, digits and '-'."""
    text = str(value).strip().rstrip(".")
    if not text or len(text) > 253 or not all(_HOSTNAME_LABEL.match(label) for label in text.split(".")):
        return "must be a host name (letters, digits and '-' in dot-separated labels)"
    return None


def host_address(value):
    """An IP address, or a DNS name the service resolves. Dotted numbers must be a valid IPv4 address."""
    text = str(value).strip()
    if ":" in text or _DOTTED_NUMBERS.match(text):
        if ip_address(text) is None:
            return None
        return "must be an IP address (e.g. 10.0.0.5, fd00::5) or a host name"
    if hostname(text) is None:
        return None
    return "must be an IP address (e.g. 10.0.0.5, fd00::5) or a host name"


def listen_address(value):
    """Where a service listens: empty or ``*`` (every address), or an IP address."""
    text = str(value).strip()
    if text in ("", "*") or ip_address(text) is None:
        return None
    return "must be empty or '*' (every address), or an IPv4 or IPv6 address"


# ---- durations and sizes in the services' syntax -----------------------------------------------------

_HAPROXY_DURATION = re.compile(r"^[0-9]+(us|ms|s|m|h|d)?$")


def haproxy_duration(value):
    """A HAProxy time: a number with an optional unit us, ms, s, m, h or d, no space (``30s``, ``500ms``)."""
    if isinstance(value, bool) or not _HAPROXY_DURATION.match(str(value).strip()):
        return "must be a HAProxy time: a number with an optional unit us, ms, s, m, h or d, no space (e.g. 30s)"
    return None


_RABBITMQ_SIZE = re.compile(r"^[0-9]+(\.[0-9]+)?(kB|MB|GB|TB|KiB|MiB|GiB|TiB|k|K|M|G|T|Ki|Mi|Gi|Ti)?$")


def rabbitmq_size(value):
    """An absolute RabbitMQ size: a number with an optional unit (``2GB``, ``500MB``, ``1GiB``)."""
    if isinstance(value, bool) or not _RABBITMQ_SIZE.match(str(value).strip()):
        return "must be a size such as 2GB, 500MB or 1GiB (a number and a unit, no space)"
    return None


# ---- names -------------------------------------------------------------------------------------------

def matches(pattern, allowed):
    """A string matching ``pattern``; ``allowed`` says in words what that is."""
    compiled = re.compile(pattern)

    def rule(value):
        if not isinstance(value, str) or not compiled.match(value):
            return "must be " + allowed
        return None
    return rule


def one_of(choices):
    """One of ``choices``."""
    def rule(value):
        if value not in choices:
            return "must be one of %s" % ", ".join(str(choice) for choice in choices)
        return None
    return rule


# Linux interface names: at most 15 characters, no '/', no white space; iptables takes a trailing '+'.
interface = matches(r"^[A-Za-z0-9_.:@-]{1,15}\+?$", "a network interface name (at most 15 letters, digits, . _ : @ -)")
user_name = matches(r"^[a-z_][a-z0-9_.-]*\$?$", "a user name (lower-case letters, digits, _ . -)")


# ---- collecting ----------------------------------------------------------------------------------------

class Problems:
    """The messages of one role's input: ``check(path, value, rule)`` adds "<path> <rule's text>, got <value>"."""

    def __init__(self):
        self.messages = []

    def check(self, path, value, rule):
        """Apply ``rule`` to ``value``; True when it holds."""
        problem = rule(value)
        if problem:
            self.messages.append("%s %s, got %s" % (path, problem, show(value)))
            return False
        return True

    def each(self, path, values, rule):
        """Apply ``rule`` to every element of the list ``values`` (``path[0]``, ``path[1]``, ...)."""
        if not isinstance(values, (list, tuple)):
            self.add("%s must be a list, got %s" % (path, show(values)))
            return
        for index, value in enumerate(values):
            self.check("%s[%d]" % (path, index), value, rule)

    def add(self, message):
        self.messages.append(message)
