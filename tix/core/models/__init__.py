"""The database models, one module per aggregate. Importing this package registers all tables."""

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

__all__ = [
    "DOCUMENT_PREFIXES",
    "MESSAGE_KINDS",
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
    "utcnow",
]
