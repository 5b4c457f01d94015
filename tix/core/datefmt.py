"""Dates and times as people read them: one format per language, in local time.

English writes ISO order (``2026-12-06``, ``2026-12-06 14:07``), German its own
(``06.12.2026``, ``06.12.2026 14:07``). Short forms for narrow columns keep the same
order: the time alone today, day and month this year (``12-06`` / ``06.12.``).
``--json`` keeps ISO 8601 with offset; these are only for reading.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from tix.core.i18n import language_code

_DAY = {"de": "%d.%m.%Y", "en": "%Y-%m-%d"}
_DAY_MONTH = {"de": "%d.%m.", "en": "%m-%d"}


def _language() -> str:
    return "de" if language_code() == "de" else "en"


def _moment(value: datetime | str, zone: tzinfo | None) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone) if zone is not None else moment


def day_text(value: date | datetime | str | None) -> str:
    """A day: ``2026-12-06`` / ``06.12.2026`` (an ISO text that is no day comes back as
    it is)."""
    if value is None or value == "":
        return ""
    try:
        day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    return day.strftime(_DAY[_language()])


def moment_text(value: datetime | str | None, zone: tzinfo | None = None) -> str:
    """A point in time to the minute, in ``zone`` (None: as given, e.g. an ISO time the
    core already gave in the user's zone): ``2026-12-06 14:07`` / ``06.12.2026 14:07``."""
    if value is None or value == "":
        return ""
    try:
        moment = _moment(value, zone)
    except ValueError:
        return str(value)
    return moment.strftime(_DAY[_language()] + " %H:%M")


def short_moment_text(moment: datetime, zone: tzinfo, now: datetime) -> str:
    """For narrow columns: today the time, this year day and month, else the day."""
    local = moment.astimezone(zone)
    today = now.astimezone(zone)
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime(_DAY_MONTH[_language()])
    return local.strftime(_DAY[_language()])
