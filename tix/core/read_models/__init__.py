"""Typed read models: the shapes ``--json``, the web API and the TUI share.

:mod:`tix.core.views` fills them; ``--json`` prints ``model.model_dump(mode="json")``,
the API declares them as ``response_model`` (so its OpenAPI schema documents every
answer) and the TUI reads their attributes. Times are ISO 8601 strings with offset,
already in the zone of whoever asked.

The ticket list's rows are in :mod:`.lists`, one ticket's models in :mod:`.tickets`, each
other capability's in its own module (documents, links, SLAs); :mod:`.base` holds the base
class. The names of the first two are importable from here, loaded on first use, so a
command defines only the models it prints.

Some keys appear only where they mean something (a change's ``field``, a mail's
``direction`` and addresses, a watcher's ``user`` or ``group``): those models drop the
others when serialised, so the JSON keeps the shape it always had.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tix.core.lazy import lazy_names

if TYPE_CHECKING:
    from tix.core.read_models.lists import CustomerRef, TicketListItem, TicketPage
    from tix.core.read_models.tickets import (
        ActivityResult,
        ActivityView,
        AlarmView,
        AttachmentView,
        BookedTime,
        ContactList,
        ContactRow,
        ContactView,
        ContactWithAddresses,
        DeliveryView,
        FileView,
        TicketDetail,
        TicketTimeView,
        TimeList,
        TimeRow,
        WatcherView,
    )

_HOMES = {
    "CustomerRef": "lists",
    "TicketListItem": "lists",
    "TicketPage": "lists",
    "ContactView": "tickets",
    "ContactWithAddresses": "tickets",
    "ContactRow": "tickets",
    "ContactList": "tickets",
    "AttachmentView": "tickets",
    "DeliveryView": "tickets",
    "ActivityView": "tickets",
    "ActivityResult": "tickets",
    "WatcherView": "tickets",
    "TicketTimeView": "tickets",
    "FileView": "tickets",
    "AlarmView": "tickets",
    "TicketDetail": "tickets",
    "BookedTime": "tickets",
    "TimeRow": "tickets",
    "TimeList": "tickets",
}

__all__ = [
    "ActivityResult",
    "ActivityView",
    "AlarmView",
    "AttachmentView",
    "BookedTime",
    "ContactList",
    "ContactRow",
    "ContactView",
    "ContactWithAddresses",
    "CustomerRef",
    "DeliveryView",
    "FileView",
    "TicketDetail",
    "TicketListItem",
    "TicketPage",
    "TicketTimeView",
    "TimeList",
    "TimeRow",
    "WatcherView",
]


__getattr__ = lazy_names(__name__, _HOMES, globals())
