"""`Sessions` (bridge/proxy/state.py) on its own: which session belongs to which profile, and how long it is kept."""

from __future__ import annotations

from bridge.proxy.state import Sessions


def test_a_session_is_usable_only_by_the_profile_that_created_it() -> None:
    sessions = Sessions()
    sessions.bind("s-1", "acme")
    sessions.bind("s-1", "globex")  # the same id seen again for another profile does not change hands
    assert sessions.usable("s-1", "acme")
    assert not sessions.usable("s-1", "globex")
    assert not sessions.usable("never-seen", "acme")
    sessions.forget("s-1")
    assert not sessions.usable("s-1", "acme")


def test_a_switch_ends_the_profiles_sessions_only() -> None:
    sessions = Sessions()
    for sid, profile in (("a-1", "acme"), ("g-1", "globex"), ("a-2", "acme")):
        sessions.bind(sid, profile)
    assert sorted(sessions.end_profile("acme")) == ["a-1", "a-2"]
    assert sessions.usable("g-1", "globex")
    assert not sessions.usable("a-1", "acme")


def test_the_oldest_sessions_are_forgotten_beyond_the_limit() -> None:
    """IDEs that quit without ending their session leave it behind: the table must not grow for as long as the tray
    app runs."""
    sessions = Sessions(limit=3)
    for n in range(5):
        sessions.bind(f"s-{n}", "acme")
    assert [sessions.usable(f"s-{n}", "acme") for n in range(5)] == [False, False, True, True, True]
    sessions.bind("s-4", "acme")  # seen again: no new entry, nothing more forgotten
    assert sessions.usable("s-2", "acme")
