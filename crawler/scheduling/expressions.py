"""Schedules and durations as newshub.toml writes them, turned into APScheduler triggers.

A schedule is a five-field cron expression ("*/30 * * * *", in the host's time zone), a cron
alias ("@hourly") or an interval ("every 30m", "30m", "2h", "1d", "45s"). Parsing lives apart
from the daemon so the config loader can reject a bad schedule when it reads the file.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

CRON_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(
    r"^(?:every\s+)?(\d+(?:\.\d+)?)\s*"
    r"(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> float | None:
    """Seconds of "30m", "every 2h", "1.5h", "45 seconds"; None when text is not a duration."""
    match = _DURATION.match(text.strip())
    if not match:
        return None
    return float(match[1]) * _UNITS[match[2][0].lower()]


def make_trigger(schedule: str, *, jitter: float = 0.0, timezone: Any = None) -> Any:
    """The APScheduler trigger of a schedule; ValueError with a short reason when invalid.

    Jitter delays each run by a random 0..jitter seconds (at most a tenth of an interval), so
    sources on one schedule don't all hit the network at the same second.
    """
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    text = schedule.strip()
    seconds = parse_duration(text)
    if seconds is not None:
        if seconds < 1:
            raise ValueError("an interval must be at least one second")
        return IntervalTrigger(seconds=seconds, jitter=min(jitter, seconds / 10) or None)
    expression = CRON_ALIASES.get(text.lower(), text)
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 cron fields or an interval, got {text!r}")
    minute, hour, day, month, day_of_week = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=cron_weekdays(day_of_week),
            timezone=timezone,
            jitter=int(jitter) or None,
        )
    except ValueError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def cron_weekdays(field: str) -> str:
    """A cron day-of-week field (0 and 7 are Sunday) in APScheduler 3's terms (0 is Monday).

    Numbers, ranges and steps are spelled out as day names, which both agree on.
    """
    if field in ("*", "?"):
        return "*"
    days: list[str] = []
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        if not re.fullmatch(r"\*|\d(-\d)?", base):  # names ("mon-fri") mean the same to both
            days.append(part)
            continue
        if base == "*":
            first, last = 0, 6
        else:
            first_text, _, last_text = base.partition("-")
            first = int(first_text)
            last = int(last_text) if last_text else (6 if step_text else first)
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last):
            raise ValueError(f"bad day of week {part!r}")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else 1
        days.extend(_WEEKDAYS[day % 7] for day in range(first, last + 1, step))
    return ",".join(dict.fromkeys(days))


def check_schedule(schedule: str) -> str:
    """The schedule, stripped, if it parses; ValueError otherwise."""
    make_trigger(schedule)
    return schedule.strip()


def fire_times_after(schedule: str, moment: datetime, count: int = 2) -> list[datetime]:
    """The schedule's next `count` times after `moment` (aware), without jitter."""
    seconds = parse_duration(schedule.strip())
    if seconds is not None:
        return [moment + timedelta(seconds=seconds * n) for n in range(1, count + 1)]
    trigger = make_trigger(schedule)
    times: list[datetime] = []
    previous: datetime | None = None
    after = moment + timedelta(seconds=1)
    while len(times) < count:
        previous = trigger.get_next_fire_time(previous, after)
        if previous is None:
            break
        times.append(previous)
        after = previous + timedelta(seconds=1)
    return times
