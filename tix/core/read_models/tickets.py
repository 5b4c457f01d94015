"""One ticket's page and the records around it: activities, watchers, times, files,
alarms, contacts, booked time."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from tix.core.read_models.base import KeysThatApply, ReadModel, Text
from tix.core.read_models.links import LinkedTicketView
from tix.core.read_models.sla import TicketSlaView


class ContactView(ReadModel):
    name: Text
    address: str | None
    kind: str
    organization: Text | None


class ContactWithAddresses(ContactView):
    """A contact just added, with every address it has."""

    addresses: list[str]


class ContactRow(ReadModel):
    """A contact in the contact list: its first address and all of them."""

    name: Text
    address: str | None
    addresses: list[str]
    kind: str
    organization: Text | None


class ContactList(ReadModel):
    contacts: list[ContactRow]


class AttachmentView(ReadModel):
    id: int | None
    name: Text
    size: int
    content_type: str
    inline: bool


class DeliveryView(ReadModel):
    """How a mail tix sends stands in the outbox: pending with no attempts is queued,
    pending after attempts is retrying (``error`` says why)."""

    status: str = Field(description="pending, sent or failed.")
    error: str | None = Field(description="The last error (retrying or failed).")
    attempts: int = Field(default=0, description="Attempts to send it so far.")
    sent_at: str | None = Field(default=None, description="When it was sent.")


CHANGE_KINDS = ("change", "watcher")
CHANGE_KEYS = ("field", "old", "new")
MAIL_KEYS = ("direction", "from", "to", "cc", "bcc", "message_id", "in_reply_to", "html")


class ActivityView(KeysThatApply):
    """One activity of a ticket. ``field``, ``old`` and ``new`` only for changes (and
    watchers); the mail keys only for mail; ``delivery`` only for mail tix sends;
    ``attachments`` for mail and for what has files; ``details`` when there are any."""

    id: int | None
    seq: int
    kind: str
    author: Text | None
    created_at: str
    subject: Text | None
    body: Text
    internal: bool
    automatic: str | None = Field(description="bounce, auto_reply, list or null.")
    third_party: bool
    field: str | None = None
    old: Text | None = None
    new: Text | None = None
    direction: str | None = None
    from_: Text | None = Field(default=None, alias="from")
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    message_id: str | None = None
    in_reply_to: str | None = None
    html: str | None = None
    delivery: DeliveryView | None = None
    attachments: list[AttachmentView] = Field(default_factory=list)
    details: dict[str, Any] | None = None

    @model_serializer(mode="wrap")
    def _only_what_applies(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if not isinstance(data, dict):  # pragma: no cover - handler gives a dict
            return data
        if self.kind not in CHANGE_KINDS:
            for key in CHANGE_KEYS:
                data.pop(key, None)
        if self.direction is None:
            for key in MAIL_KEYS:
                data.pop(key, None)
        if self.direction != "out" or self.delivery is None:
            data.pop("delivery", None)
        if not self.attachments and self.direction is None:
            data.pop("attachments", None)
        if not self.details:
            data.pop("details", None)
        return data


class ActivityResult(ActivityView):
    """An activity just added (reply, note, solution), with its ticket's new status."""

    ticket: int
    status: str


class WatcherView(KeysThatApply):
    """A user or a group watching the ticket: one of the two keys."""

    user: str | None = None
    group: str | None = None

    @model_serializer(mode="wrap")
    def _one_key(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            data.pop("group" if self.user is not None else "user", None)
        return data


class TicketTimeView(ReadModel):
    """Time booked on the ticket, in its detail."""

    id: int | None
    user: str
    date: str
    minutes: int
    note: Text
    billable: bool
    billed: str | None = Field(description="The number of the invoice it is billed on.")


class FileView(ReadModel):
    id: int | None
    name: Text
    size: int
    content_type: str
    sha256: str
    activity: int | None
    inline: bool
    uploaded_by: str | None
    created_at: str | None


class AlarmView(ReadModel):
    id: int | None
    ticket: int
    subject: Text
    for_: str = Field(alias="for")
    by: str
    via: str
    note: Text
    due_at: str | None
    fired_at: str | None


class TicketDetail(ReadModel):
    """The whole ticket, as ``tix ticket show --json`` gives it."""

    number: int
    kind: str
    status: str
    subject: Text
    priority: int
    channel: str | None
    owner: str | None
    creator: str | None
    customer: ContactView | None
    project: str | None
    categories: list[Text]
    color: str | None
    origin: str
    form_values: dict[str, Any]
    account: str | None
    version: int
    created_at: str | None
    updated_at: str | None
    first_message: ActivityView | None
    activities: list[ActivityView]
    watchers: list[WatcherView]
    times: list[TicketTimeView]
    files: list[FileView]
    alarms: list[AlarmView]
    sla: TicketSlaView | None = Field(default=None, description="Null: no SLA policy applies.")
    merged_into: int | None = Field(
        default=None, description="The ticket this one was merged into (then it is closed)."
    )
    merged: list[int] = Field(default=[], description="The tickets merged into this one.")
    links: list[LinkedTicketView] = Field(
        default=[], description="Linked tickets the reader can see."
    )


class BookedTime(ReadModel):
    """Time just booked through the API."""

    id: int | None
    ticket: int
    user: str
    date: str
    minutes: int
    hours: float
    note: str
    billable: bool


class TimeRow(ReadModel):
    """One booking in the time list."""

    id: int | None
    ticket: int
    subject: Text
    customer: Text | None
    project: str | None
    user: str
    date: str
    minutes: int
    hours: float
    note: Text
    billable: bool
    billed: str | None


class TimeList(ReadModel):
    times: list[TimeRow]
    total_minutes: int
