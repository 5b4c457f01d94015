"""The database models, one module per aggregate.

A model module is imported when one of its names is first used (``from tix.core.models
import Ticket`` loads ``ticket`` and the modules its foreign keys point to), so a command
pays only for the tables it touches: defining a table class costs SQLAlchemy's mapping and
pydantic's field collection, ~4 ms each. :func:`load_all` registers every table, for
Alembic and whatever needs the whole schema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from tix.core.lazy import lazy_names

if TYPE_CHECKING:
    from tix.core.models.access import ApiKey, Attempt, PortalSession, PortalToken, TokenPurpose
    from tix.core.models.account import AuthMode, MailAccount, TlsMode
    from tix.core.models.activity import MESSAGE_KINDS, Activity, ActivityKind, Direction
    from tix.core.models.base import ScaledDecimal, UTCDateTime, utcnow
    from tix.core.models.channel import Channel, ChannelGroup
    from tix.core.models.contact import Contact, ContactAddress, ContactKind, Organization
    from tix.core.models.counter import Counter
    from tix.core.models.document import DOCUMENT_PREFIXES, Document, DocumentKind, DocumentLine
    from tix.core.models.link import LinkKind, TicketLink
    from tix.core.models.mail import ImportStatus, MailImport, SyncState
    from tix.core.models.outbox import OutboxMessage, OutboxPurpose, OutboxStatus
    from tix.core.models.project import Project
    from tix.core.models.saved_view import SavedView
    from tix.core.models.sla import BusinessCalendar, SlaPolicy
    from tix.core.models.texts import Signature, TextModule
    from tix.core.models.ticket import (
        OPEN_STATUSES,
        PRIORITY_DEFAULT,
        PRIORITY_MAX,
        PRIORITY_MIN,
        Category,
        Ticket,
        TicketCategory,
        TicketKind,
        TicketOrigin,
        TicketStatus,
        Watcher,
    )
    from tix.core.models.user import Group, GroupMember, User
    from tix.core.models.work import (
        Alarm,
        AlarmVia,
        Blob,
        Notification,
        NotificationKind,
        TicketFile,
        TimeEntry,
    )

_HOMES: dict[str, str] = {
    "ApiKey": "access",
    "Attempt": "access",
    "PortalSession": "access",
    "PortalToken": "access",
    "TokenPurpose": "access",
    "AuthMode": "account",
    "MailAccount": "account",
    "TlsMode": "account",
    "MESSAGE_KINDS": "activity",
    "Activity": "activity",
    "ActivityKind": "activity",
    "Direction": "activity",
    "ScaledDecimal": "base",
    "UTCDateTime": "base",
    "utcnow": "base",
    "Channel": "channel",
    "ChannelGroup": "channel",
    "Contact": "contact",
    "ContactAddress": "contact",
    "ContactKind": "contact",
    "Organization": "contact",
    "Counter": "counter",
    "DOCUMENT_PREFIXES": "document",
    "Document": "document",
    "DocumentKind": "document",
    "DocumentLine": "document",
    "LinkKind": "link",
    "TicketLink": "link",
    "ImportStatus": "mail",
    "MailImport": "mail",
    "SyncState": "mail",
    "OutboxMessage": "outbox",
    "OutboxPurpose": "outbox",
    "OutboxStatus": "outbox",
    "Project": "project",
    "SavedView": "saved_view",
    "BusinessCalendar": "sla",
    "SlaPolicy": "sla",
    "Signature": "texts",
    "TextModule": "texts",
    "OPEN_STATUSES": "ticket",
    "PRIORITY_DEFAULT": "ticket",
    "PRIORITY_MAX": "ticket",
    "PRIORITY_MIN": "ticket",
    "Category": "ticket",
    "Ticket": "ticket",
    "TicketCategory": "ticket",
    "TicketKind": "ticket",
    "TicketOrigin": "ticket",
    "TicketStatus": "ticket",
    "Watcher": "ticket",
    "Group": "user",
    "GroupMember": "user",
    "User": "user",
    "Alarm": "work",
    "AlarmVia": "work",
    "Blob": "work",
    "Notification": "work",
    "NotificationKind": "work",
    "TicketFile": "work",
    "TimeEntry": "work",
}

MODULES = (
    "access",
    "account",
    "activity",
    "channel",
    "contact",
    "counter",
    "document",
    "link",
    "mail",
    "outbox",
    "project",
    "saved_view",
    "sla",
    "texts",
    "ticket",
    "user",
    "work",
)
"""Every model module (besides ``base``), for :func:`load_all`."""


__getattr__ = lazy_names(__name__, _HOMES, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


def load_all() -> None:
    """Import every model module, so ``TixModel.metadata`` holds the whole schema."""
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")


__all__ = [
    "DOCUMENT_PREFIXES",
    "MESSAGE_KINDS",
    "MODULES",
    "OPEN_STATUSES",
    "PRIORITY_DEFAULT",
    "PRIORITY_MAX",
    "PRIORITY_MIN",
    "Activity",
    "ActivityKind",
    "Alarm",
    "AlarmVia",
    "ApiKey",
    "Attempt",
    "AuthMode",
    "Blob",
    "BusinessCalendar",
    "Category",
    "Channel",
    "ChannelGroup",
    "Contact",
    "ContactAddress",
    "ContactKind",
    "Counter",
    "Direction",
    "Document",
    "DocumentKind",
    "DocumentLine",
    "Group",
    "GroupMember",
    "ImportStatus",
    "LinkKind",
    "MailAccount",
    "MailImport",
    "Notification",
    "NotificationKind",
    "Organization",
    "OutboxMessage",
    "OutboxPurpose",
    "OutboxStatus",
    "PortalSession",
    "PortalToken",
    "Project",
    "SavedView",
    "ScaledDecimal",
    "Signature",
    "SlaPolicy",
    "SyncState",
    "TextModule",
    "Ticket",
    "TicketCategory",
    "TicketFile",
    "TicketKind",
    "TicketLink",
    "TicketOrigin",
    "TicketStatus",
    "TimeEntry",
    "TlsMode",
    "TokenPurpose",
    "UTCDateTime",
    "User",
    "Watcher",
    "load_all",
    "utcnow",
]
