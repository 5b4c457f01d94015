"""Stored values as people read them, in the current language.

The database, ``--json`` and the API keep the English keywords (``open``,
``mail``, ``webform``); the CLI's tables, the TUI and the portal show these.
An unknown value is shown as it is.
"""

from __future__ import annotations

from tix.core.errors import Malformed
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


def color_label(color: str) -> str:
    labels = {
        "red": _("red"),
        "orange": _("orange"),
        "yellow": _("yellow"),
        "green": _("green"),
        "blue": _("blue"),
        "purple": _("purple"),
        "gray": _("gray"),
    }
    return labels.get(color, color)


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


def field_label(field: str) -> str:
    """The name of a changed field, as a column or a line heads it."""
    labels = {
        "status": _("Status"),
        "channel": _("Channel"),
        "owner": _("Owner"),
        "subject": _("Subject"),
        "priority": _("Priority"),
        "color": _("Color"),
        "project": _("Project"),
        "category": _("Category"),
    }
    return labels.get(field, field)


def field_phrase(field: str) -> str:
    """The changed field as the object of a sentence ("changed {field}": German
    needs the article, "den Status")."""
    labels = {
        "status": _("status"),
        "channel": _("channel"),
        "owner": _("owner"),
        "subject": _("subject"),
        "priority": _("priority"),
        "color": _("color"),
        "project": _("project"),
        "category": _("category"),
    }
    return labels.get(field, field)


def relation_label(relation: str) -> str:
    """How a ticket stands to a linked one, before its number: "parent of" #1005."""
    labels = {
        "related": _("related to"),
        "parent": _("parent of"),
        "child": _("child of"),
        "duplicate": _("duplicate of"),
        "original": _("duplicated by"),
    }
    return labels.get(relation, relation)


def _relation_phrase(value: str) -> str:
    """A link as a change records it (``parent:1005``) as people read it."""
    relation, _sep, number = value.partition(":")
    return f"{relation_label(relation)} #{number}"


def children_marker(open_children: int, children: int) -> str:
    """Before a parent's subject in lists: its open and all children, ``[1/3] ``."""
    return f"[{open_children}/{children}] " if children else ""


def ticket_change_text(field: str | None, old: str | None, new: str | None) -> str | None:
    """The sentence for a change between tickets (a link, a merge, a split), or ``None``
    for the changes of a field, which read "field old → new"."""
    if field == "link":
        if new:
            return _("linked: {link}").format(link=_relation_phrase(new))
        return _("link removed: {link}").format(link=_relation_phrase(old or ""))
    texts = {
        "merged_into": _("merged into #{number}"),
        "merged_from": _("merged #{number} into this ticket"),
        "split_to": _("split off into the new ticket #{number}"),
        "split_from": _("split off from #{number}"),
    }
    if field in texts:
        return texts[field].format(number=new or "")
    return None


def activity_kind_label(kind: str) -> str:
    labels = {
        "message": _("Message"),
        "reply": _("Reply"),
        "note": _("Internal note"),
        "solution": _("Solution"),
        "delivery": _("Not delivered"),
    }
    return labels.get(kind, kind)


def contact_kind_label(kind: str) -> str:
    labels = {"customer": _("customer"), "supplier": _("supplier")}
    return labels.get(kind, kind)


def document_label(kind: str) -> str:
    labels = {"quote": _("Quote"), "order": _("Order confirmation"), "invoice": _("Invoice")}
    return labels.get(kind, kind)


def change_value(field: str | None, value: str | None) -> str | None:
    """An old or new value of a change as people read it (a status or a color in
    their language)."""
    if value and field == "status":
        return status_label(value)
    if value and field == "color":
        return color_label(value)
    return value


# --- input: a keyword or its label in the user's language --------------------------


def _statuses() -> dict[str, str]:
    return {
        status: status_label(status) for status in ("new", "open", "waiting", "solved", "closed")
    }


def _ticket_kinds() -> dict[str, str]:
    return {kind: ticket_kind_label(kind) for kind in ("internal", "mail", "request")}


def _match(value: str, labels: dict[str, str]) -> str | None:
    """The keyword ``value`` names, by keyword or by label, any case."""
    wanted = " ".join(value.split()).casefold()
    for keyword, label in labels.items():
        if wanted in (keyword, label.casefold()):
            return keyword
    return None


def _choices(labels: dict[str, str]) -> str:
    return ", ".join(labels.values())


def parse_status(value: str) -> str:
    """A ticket status as stored (``open``), from its keyword or from its label in the
    current language (``offen``)."""
    labels = _statuses()
    found = _match(value, labels)
    if found is None:
        raise Malformed(
            _("unknown status {value!r}: use one of {statuses}").format(
                value=value.strip(), statuses=_choices(labels)
            )
        )
    return found


def parse_ticket_kind(value: str) -> str:
    """A ticket kind as stored (``request``), from its keyword or its label
    (``Anfrage``)."""
    labels = _ticket_kinds()
    found = _match(value, labels)
    if found is None:
        raise Malformed(
            _("unknown kind {kind!r}: use one of {kinds}").format(
                kind=value.strip(), kinds=_choices(labels)
            )
        )
    return found


def priority_names() -> dict[int, str]:
    """The priorities that have a name: the lowest, the normal and the highest."""
    return {1: _("low"), 5: _("normal"), 9: _("very high")}


def parse_priority(value: str | int) -> int:
    """A priority 1–9, from its number or the name of 1, 5 or 9 in the current
    language (``niedrig``, ``normal``, ``sehr hoch``) or in English."""
    if isinstance(value, int):
        return value
    text = " ".join(value.split()).casefold()
    if text.isdigit():
        return int(text)
    english = {"low": 1, "normal": 5, "very high": 9}
    named = {name.casefold(): number for number, name in priority_names().items()}
    found = named.get(text, english.get(text))
    if found is None:
        raise Malformed(
            _("unknown priority {value!r}: use 1 (low) to 9 (very high), or {names}").format(
                value=value.strip(), names=", ".join(priority_names().values())
            )
        )
    return found
