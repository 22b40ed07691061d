from __future__ import annotations

import json

import pytest
from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker
from ansible_collections.ironclad.infra.plugins.module_utils._docker.daemon import (
    compare,
    describe_unknown,
    parse,
    parse_dockerd_version,
    render,
    supports_validate,
    validate_config,
)

HARDENED = {
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "live-restore": True,
    "no-new-privileges": True,
    "icc": False,
    "userland-proxy": False,
    "default-address-pools": [{"base": "10.213.0.0/16", "size": 24}],
    "storage-driver": "vfs",
    "registry-mirrors": ["https://mirror.example.org"],
    "hosts": ["fd://", "tcp://0.0.0.0:2376"],
    "tls": True,
    "tlsverify": True,
    "tlscacert": "/etc/ironclad/pki/ca.crt",
    "tlscert": "/etc/ironclad/pki/host.crt",
    "tlskey": "/etc/ironclad/pki/host.key",
    "userns-remap": "default",
}


def errors_of(config, **kwargs):
    return validate_config(config, **kwargs)[0]


def test_hardened_config_is_valid():
    assert validate_config(HARDENED) == ([], [])


def test_empty_config_is_valid():
    assert validate_config({}) == ([], [])


def test_not_a_mapping():
    assert "JSON object" in errors_of(["icc", False])[0]


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("live-restore", "yes", "live-restore: must be a boolean"),
        ("icc", 0, "icc: must be a boolean"),
        ("mtu", True, "mtu: must be an integer"),
        ("log-opts", {"max-file": 3}, "quote them"),
        ("registry-mirrors", "https://m", "must be a list of strings"),
        ("storage-driver", "overlay", "'overlay' is not one of overlay2"),
        ("log-level", "verbose", "is not one of debug"),
        ("log-opts", {"max-size": "ten megs"}, "log-opts.max-size: 'ten megs' is not a size"),
        ("log-opts", {"max-file": "0"}, "log-opts.max-file: '0' must be a positive whole number"),
        ("log-opts", {"compress": "yes"}, "log-opts.compress"),
        ("log-opts", {"mode": "fast"}, "log-opts.mode"),
        ("default-address-pools", [{"base": "10.300.0.0/16", "size": 24}], "default-address-pools[0].base"),
        ("default-address-pools", [{"base": "10.0.0.1/16", "size": 24}], "has host bits set"),
        ("default-address-pools", [{"base": "10.0.0.0/16", "size": 8}], "between the base prefix length /16"),
        ("default-address-pools", [{"base": "10.0.0.0/16", "size": "24"}], "size: must be an integer"),
        ("default-address-pools", [{"base": "10.0.0.0/16", "size": 24, "gw": "x"}], "unknown key(s) gw"),
        ("default-address-pools", [{"size": 24}], "base: must be a CIDR string"),
        ("registry-mirrors", ["mirror.example.org"], "write it with its scheme"),
        ("hosts", ["0.0.0.0:2375"], "is not a listen address"),
        ("hosts", ["tcp://0.0.0.0"], "needs an explicit port"),
        ("userns-remap", "Bad User!", "must be 'default' or 'USER[:GROUP]'"),
        ("data-root", "var/lib/docker", "must be an absolute path"),
        ("bip", "10.1.0.1", "needs a prefix length"),
        ("bip", "10.1.0.300/24", "is not an address with prefix length"),
        ("fixed-cidr", "10.1.0.0/33", "is not a network address"),
        ("dns", ["1.1.1.1", "dns.example"], "'dns.example' is not an IP address"),
        ("mtu", 20, "not a valid MTU"),
        ("shutdown-timeout", -1, "must not be negative"),
        ("max-concurrent-downloads", 0, "must be at least 1"),
        ("features", {"buildkit": "yes"}, "features.buildkit: must be true or false"),
        ("default-ulimits", {"nofile": {"Name": "nofile", "Hard": "x"}}, "default-ulimits.nofile.Hard"),
        ("default-ulimits", {"nofile": 5}, "must be an object with 'Name'"),
        ("runtimes", {"runsc": {}}, "runtimes.runsc: must be an object with at least 'path'"),
        ("default-cgroupns-mode", "shared", "not one of host, private"),
        ("graph", "/srv/docker", "graph: removed in Docker 23.0; use 'data-root'"),
    ],
)
def test_invalid_values_are_refused_with_the_key_named(key, value, expected):
    errors = errors_of({key: value}, allow_unauthenticated_tcp=True)
    assert len(errors) == 1, errors
    assert expected in errors[0]


def test_unknown_keys_are_reported_not_errors():
    errors, unknown = validate_config({"live-restor": True, "bogus": 1})
    assert errors == []
    assert unknown == ["bogus", "live-restor"]


def test_unknown_key_message_suggests_the_close_name():
    message = describe_unknown(["live-restor", "zzz"])
    assert "live-restor (did you mean live-restore?)" in message
    assert "zzz," not in message and "zzz." in message
    assert "unknown_keys=warn" in message


def test_version_gated_option_needs_a_newer_daemon():
    errors = errors_of({"default-network-opts": {}}, dockerd_version=(20, 10, 24))
    assert errors == ["default-network-opts: needs Docker 24.0 or later, the installed dockerd is 20.10.24; "
                      "remove the option or upgrade Docker"]
    assert errors_of({"default-network-opts": {}}, dockerd_version=(26, 1, 5)) == []
    assert errors_of({"default-network-opts": {}}) == []


def test_removed_option_is_accepted_by_an_old_daemon():
    assert errors_of({"graph": "/srv/docker"}, dockerd_version=(20, 10, 24)) == []


def test_icc_off_needs_iptables():
    errors = errors_of({"icc": False, "iptables": False})
    assert errors and "keep iptables true" in errors[0]


def test_ip_masq_needs_iptables():
    assert errors_of({"ip-masq": True, "iptables": False}) == ["ip-masq: true needs iptables: true"]


def test_tls_needs_certificate_and_key():
    errors = errors_of({"tls": True})
    assert [e.split(":", maxsplit=1)[0] for e in errors] == ["tlscert", "tlskey"]


def test_tlsverify_needs_ca():
    config = dict(HARDENED)
    del config["tlscacert"]
    assert errors_of(config) == ["tlscacert: tlsverify is on but no CA certificate is set to verify clients against"]


def test_tcp_listener_without_tlsverify_is_refused_unless_allowed():
    config = {"hosts": ["fd://", "tcp://0.0.0.0:2375"]}
    errors = errors_of(config)
    assert len(errors) == 1 and "root on this host" in errors[0] and "allow_unauthenticated_tcp" in errors[0]
    assert errors_of(config, allow_unauthenticated_tcp=True) == []


def test_duplicate_hosts():
    assert errors_of({"hosts": ["fd://", "fd://"]}) == ["hosts: lists the same address twice"]


def test_several_problems_are_reported_together():
    errors = errors_of({"icc": "no", "mtu": "1500", "storage-driver": "aufs"})
    assert len(errors) == 3


def test_render_is_canonical_and_round_trips():
    text = render(HARDENED)
    assert text.endswith("}\n")
    assert text == render(json.loads(text))
    assert text.index('"default-address-pools"') < text.index('"live-restore"')


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ({}, None)),
        ("  \n", ({}, None)),
        ('{"icc": false}', ({"icc": False}, None)),
    ],
)
def test_parse_valid(text, expected):
    assert parse(text) == expected


def test_parse_invalid():
    assert parse("{icc: false")[1].startswith("not valid JSON")
    assert parse("[1]") == (None, "not a JSON object")


def test_compare_records_nested_changes_key_by_key():
    tracker = DifferenceTracker()
    before = {"log-opts": {"max-size": "10m", "max-file": "3"}, "icc": True, "debug": True}
    after = {"log-opts": {"max-size": "20m", "max-file": "3"}, "icc": False, "live-restore": True}
    compare(before, after, tracker)
    assert tracker.actions == ["remove debug", "change icc", "set live-restore", "change log-opts.max-size"]
    assert tracker.diff()["after"]["log-opts.max-size"] == "20m"
    assert tracker.diff()["before"]["debug"] is True


def test_compare_equal_documents_is_no_change():
    tracker = DifferenceTracker()
    compare(json.loads(render(HARDENED)), HARDENED, tracker)
    assert tracker.changed is False


def test_compare_notices_type_changes():
    tracker = DifferenceTracker()
    compare({"mtu": 1500}, {"mtu": 1500.0}, tracker)
    assert tracker.changed is True


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Docker version 20.10.24+dfsg1, build 5d6db84", (20, 10, 24)),
        ("Docker version 26.1.5+dfsg1, build 411e817", (26, 1, 5)),
        ("Docker version v27.0, build x", (27, 0)),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_dockerd_version(text, expected):
    assert parse_dockerd_version(text) == expected


def test_supports_validate():
    assert supports_validate("      --validate     Validate daemon configuration and exit")
    assert not supports_validate("      --tlsverify     Use TLS and verify the remote")
    assert not supports_validate(None)
