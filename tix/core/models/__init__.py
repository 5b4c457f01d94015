"""The database models, one module per aggregate. Importing this package registers all tables."""

from tix.core.models.account import MailAccount, TlsMode
from tix.core.models.activity import MESSAGE_KINDS, Activity, ActivityKind
from tix.core.models.base import UTCDateTime, utcnow
from tix.core.models.channel import Channel, ChannelGroup
from tix.core.models.contact import Contact, ContactAddress, ContactKind, Organization
from tix.core.models.counter import Counter
from tix.core.models.outbox import OutboxMessage, OutboxPurpose, OutboxStatus
from tix.core.models.project import Project
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

__all__ = [
    "MESSAGE_KINDS",
    "PRIORITY_DEFAULT",
    "PRIORITY_MAX",
    "PRIORITY_MIN",
    "Activity",
    "ActivityKind",
    "Category",
    "Channel",
    "ChannelGroup",
    "Contact",
    "ContactAddress",
    "ContactKind",
    "Counter",
    "Group",
    "GroupMember",
    "MailAccount",
    "Organization",
    "OutboxMessage",
    "OutboxPurpose",
    "OutboxStatus",
    "Project",
    "Ticket",
    "TicketCategory",
    "TicketKind",
    "TicketOrigin",
    "TicketStatus",
    "TlsMode",
    "UTCDateTime",
    "User",
    "Watcher",
    "utcnow",
]
