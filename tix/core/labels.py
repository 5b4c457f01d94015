"""Stored values as people read them, in the current language.

The database, ``--json`` and the API keep the English keywords (``open``,
``mail``, ``webform``); the CLI's tables, the TUI and the portal show these.
An unknown value is shown as it is.
"""

from __future__ import annotations

from tix.core.i18n import _


def status_label(status: str) -> str:
    labels = {
        "new": _("new"),
        "open": _("open"),
        "waiting": _("waiting"),
        "solved": _("solved"),
        "closed": _("closed"),
    }
    return labels.get(status, status)


def ticket_kind_label(kind: str) -> str:
    labels = {"internal": _("internal"), "mail": _("mail"), "request": _("request")}
    return labels.get(kind, kind)


def origin_label(origin: str) -> str:
    """Where a ticket came from."""
    labels = {
        "agent": _("opened by staff"),
        "mail": _("received mail"),
        "phone": _("taken on the phone"),
        "webform": _("web form"),
        "portal": _("customer portal"),
        "api": _("web API"),
    }
    return labels.get(origin, origin)


def source_label(kind: str, origin: str) -> str | None:
    """Where a ticket came from, where its kind does not tell already."""
    if origin in ("", "agent", kind):
        return None
    return origin_label(origin)
