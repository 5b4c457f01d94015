"""Typed read models for TUI tests: only the fields a test cares about are given, the
rest take neutral values (as the core fills them for a plain ticket)."""

from __future__ import annotations

from typing import Any

from tix.core.read_models import ActivityView, TicketDetail, TicketTimeView

WHEN = "2026-11-27T10:00:00+01:00"


def activity(**fields: Any) -> ActivityView:
    """An activity; ``from`` may be given as ``from_``, the other keys as ``--json`` has
    them."""
    values: dict[str, Any] = {
        "id": None,
        "seq": 1,
        "kind": "note",
        "author": None,
        "created_at": WHEN,
        "subject": None,
        "body": "",
        "internal": False,
        "automatic": None,
        "third_party": False,
    }
    values.update(fields)
    return ActivityView.model_validate(values)


def ticket_detail(**fields: Any) -> TicketDetail:
    """A ticket as ``backend.ticket`` gives it."""
    values: dict[str, Any] = {
        "number": 1001,
        "kind": "mail",
        "status": "open",
        "subject": "",
        "priority": 5,
        "channel": None,
        "owner": None,
        "creator": None,
        "customer": None,
        "project": None,
        "categories": [],
        "color": None,
        "origin": "agent",
        "form_values": {},
        "account": None,
        "version": 1,
        "created_at": WHEN,
        "updated_at": WHEN,
        "first_message": None,
        "activities": [],
        "watchers": [],
        "times": [],
        "files": [],
        "alarms": [],
    }
    values.update(fields)
    return TicketDetail.model_validate(values)


def booked(**fields: Any) -> TicketTimeView:
    """Time booked on a ticket."""
    values: dict[str, Any] = {
        "id": 1,
        "user": "bob",
        "date": "2026-11-27",
        "minutes": 0,
        "note": "",
        "billable": True,
        "billed": None,
    }
    values.update(fields)
    return TicketTimeView.model_validate(values)
