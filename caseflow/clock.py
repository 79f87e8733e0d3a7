"""The one clock of the application: every "now" and "today" comes from here.

Production reads the system clock. Tests move it (``freeze``, ``advance``) instead of backdating
facts, so that "fourteen days later" is real for every rule that reads the time. The override is a
process-wide setting on purpose: a live test server's threads see the same time as the test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """The current time, aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC) + _offset


def today() -> date:
    """Today's date in UTC (dates a user types are read as UTC days)."""
    return now().date()


def freeze(at: datetime) -> None:
    """Tests: stop the clock at ``at`` (aware)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> None:
    """Tests: move the clock forward (or back) by ``delta``, frozen or not."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset += delta


def reset() -> None:
    global _frozen, _offset
    _frozen, _offset = None, timedelta(0)


def end_of_day(day) -> datetime:
    """A due date means by the end of that day (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
