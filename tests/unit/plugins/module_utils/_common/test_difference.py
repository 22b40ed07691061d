from __future__ import annotations

from ansible_collections.ironclad.infra.plugins.module_utils._common.difference import DifferenceTracker


def test_empty_tracker_reports_no_change():
    tracker = DifferenceTracker()
    assert tracker.changed is False
    assert tracker.diff() == {"before": {}, "after": {}}
    assert tracker.actions == []


def test_difference_drives_changed_diff_and_actions():
    tracker = DifferenceTracker()
    tracker.add("chains.INPUT[0]", None, "-p tcp --dport 22 -j ACCEPT", action="add rule to INPUT")
    assert tracker.changed is True
    assert tracker.diff()["after"] == {"chains.INPUT[0]": "-p tcp --dport 22 -j ACCEPT"}
    assert tracker.diff()["before"] == {"chains.INPUT[0]": None}
    assert tracker.actions == ["add rule to INPUT"]


def test_action_without_value_is_a_change():
    tracker = DifferenceTracker()
    tracker.add_action("restart sshd")
    assert tracker.changed is True
    assert tracker.differences() == []
