"""Rendering a ticket's activities: one activity as Rich text, and the scrolling log.

The log is a line-API widget (:class:`ActivityLog`, a ``ScrollView``): each activity is
rendered once per width to a few strips and cached, and only the lines in view are
painted. A ticket with 1,000 activities is one widget with a few thousand cached strips,
not 1,000 mounted widgets with their own styles, layout and compositor regions (that is
what makes a long ``VerticalScroll`` of Statics slow to mount and to resize). Bodies are
shown as plain text: they are Markdown as people type it, which reads well as is, and
rendering Markdown for every activity would cost far more than the text does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, ClassVar

from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tix.core.datefmt import day_text, moment_text
from tix.core.details import activity_marks
from tix.core.i18n import _, ngettext
from tix.core.labels import (
    activity_kind_label,
    change_value,
    document_label,
    field_label,
    ticket_change_text,
)
from tix.core.read_models import ActivityView
from tix.core.services.storage import human_size

BLOCK_KINDS = ("message", "reply", "note", "solution", "delivery")
"""Kinds shown as a block with a header and a text; the others take one line."""

COLOR_MARKS = {
    "red": "red",
    "orange": "dark_orange",
    "yellow": "yellow",
    "green": "green",
    "blue": "blue",
    "purple": "purple",
    "gray": "grey50",
}
"""tix color marks as Rich colors."""

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|wg|fw|fwd)\s*:\s*)+", re.IGNORECASE)


def format_time(value: str | None) -> str:
    """An ISO time (already in the user's zone) in the language's one format:
    ``2026-10-26 06:57`` / ``26.10.2026 06:57``."""
    return moment_text(value)


def format_day(value: str | None) -> str:
    """An ISO day in the language's format: ``2026-10-26`` / ``26.10.2026``."""
    return day_text(value)


def format_minutes(minutes: int) -> str:
    """``1:30`` for 90 minutes."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def local_time(value: str | None, zone: tzinfo) -> str:
    """An ISO time of any offset, shown in ``zone``."""
    return moment_text(value, zone)


def watcher_text(value: str | None) -> str:
    """A watcher as recorded (``user:felix``, ``group:Support``) in words."""
    text = value or ""
    kind, _colon, name = text.partition(":")
    if kind == "group" and name:
        return _("group {name}").format(name=name)
    if kind == "user" and name:
        return name
    return text


@dataclass(frozen=True)
class ActivityStyles:
    """The Rich styles an activity is drawn with (from the log's component classes)."""

    text: Style = field(default_factory=Style)
    muted: Style = field(default_factory=lambda: Style(dim=True))
    author: Style = field(default_factory=lambda: Style(bold=True))
    attachment: Style = field(default_factory=lambda: Style(italic=True))
    mark: Style = field(default_factory=lambda: Style(bold=True, reverse=True))
    """Labels that set a mail apart: automatic, from a third party, not delivered ..."""
    labels: dict[str, Style] | None = None
    gutters: dict[str, Style] | None = None

    def label(self, kind: str) -> Style:
        return (self.labels or {}).get(kind, Style(bold=True))

    def gutter(self, kind: str) -> Style:
        return (self.gutters or {}).get(kind, self.muted)


def _same_subject(first: str | None, second: str | None) -> bool:
    def clean(text: str | None) -> str:
        return " ".join(_REPLY_PREFIX.sub("", text or "").split()).casefold()

    return clean(first) == clean(second)


def describe(activity: ActivityView, zone: tzinfo) -> str:
    """One line saying what a record activity (change, time, file …) did."""
    kind = activity.kind
    details: dict[str, Any] = activity.details or {}
    body = " ".join((activity.body or "").split())
    if kind == "change" or activity.field:
        changed = activity.field or ""
        old, new = activity.old, activity.new
        if changed == "watcher" or kind == "watcher":
            if new and not old:
                return _("watcher added: {name}").format(name=watcher_text(new))
            if old and not new:
                return _("watcher removed: {name}").format(name=watcher_text(old))
        between = ticket_change_text(changed, old, new)
        if between is not None:
            return between
        if changed == "category":
            if new and not old:
                return _("category added: {name}").format(name=new)
            if old and not new:
                return _("category removed: {name}").format(name=old)
        return "{field} {old} → {new}".format(
            field=field_label(changed),
            old=change_value(changed, old) if old is not None else "–",
            new=change_value(changed, new) or "–",
        )
    if kind == "time":
        hours = format_minutes(int(details.get("minutes") or 0))
        day = str(details.get("date", ""))
        if day and not (activity.created_at or "").startswith(day):
            text = _("booked {hours} h for {day}").format(hours=hours, day=day_text(day))
        else:
            text = _("booked {hours} h").format(hours=hours)
        if details.get("user") and details.get("user") != activity.author:
            text += " " + _("(for {login})").format(login=details["user"])
        if details.get("billable") is False:
            text += ", " + _("not billable")
        return f"{text}: {body}" if body else text
    if kind == "file":
        files = details.get("files") or []
        names = ", ".join(
            "{name} ({size})".format(
                name=f.get("name", ""), size=human_size(int(f.get("size") or 0))
            )
            for f in files
        )
        return _("added files: {names}").format(names=names or body)
    if kind == "watcher":
        return _("changed the watchers")
    if kind == "alarm":
        text = _("alarm for {login} at {when} by {via}").format(
            login=details.get("for", ""),
            when=local_time(details.get("due_at"), zone),
            via={"app": _("app"), "mail": _("e-mail")}.get(
                str(details.get("via", "")), str(details.get("via", ""))
            ),
        )
        return f"{text}: {body}" if body else text
    if kind == "document":
        return _("made {kind} {number}").format(
            kind=document_label(str(details.get("type", ""))),
            number=body or details.get("document", ""),
        )
    if kind == "project":
        return _("made project {name}").format(name=details.get("project") or body)
    return f"{kind}: {body}" if body else str(kind)


def delivery_text(activity: ActivityView) -> str:
    """How a mail tix sends stands: queued, sent (when), retrying (why), failed (the
    mark after it says why). A mail with no outbox entry (sent before there was one)
    reads as sent."""
    delivery = activity.delivery
    if delivery is None:
        return _("sent")
    if delivery.status == "failed":
        return _("not sent")
    if delivery.status == "pending":
        if delivery.attempts and delivery.error:
            return ngettext(
                "retrying after {count} attempt: {reason}",
                "retrying after {count} attempts: {reason}",
                delivery.attempts,
            ).format(count=delivery.attempts, reason=delivery.error)
        return _("queued, not sent yet")
    if delivery.sent_at:
        return _("sent {when}").format(when=format_time(delivery.sent_at))
    return _("sent")


def header_text(activity: ActivityView, styles: ActivityStyles) -> Text:
    kind = str(activity.kind)
    text = Text()
    text.append(f" {activity_kind_label(kind)} ", style=styles.label(kind))
    text.append("  ")
    text.append(activity.author or "–", style=styles.author)
    text.append("  " + format_time(activity.created_at), style=styles.muted)
    direction = activity.direction
    if direction == "out":
        text.append("  " + delivery_text(activity), style=styles.muted)
    elif direction == "in":
        text.append("  " + _("received"), style=styles.muted)
    for mark in activity_marks(activity):
        text.append("  ")
        text.append(f" {mark} ", style=styles.mark)
    return text


def mail_lines(activity: ActivityView, styles: ActivityStyles, subject: str) -> list[Text]:
    """Who a mail went from and to (one line), and a subject that differs from the ticket's."""
    found: list[Text] = []
    if activity.direction is None:
        return found
    line = Text(style=styles.muted)
    sender = activity.from_
    if sender and sender != activity.author:
        line.append(_("From") + ": " + str(sender) + "  ")
    for label, addresses in (
        (_("To"), activity.to),
        (_("CC"), activity.cc),
        (_("BCC"), activity.bcc),
    ):
        if addresses:
            line.append(f"{label}: " + ", ".join(addresses) + "  ")
    line.rstrip()
    if line.plain:
        found.append(line)
    if activity.subject and not _same_subject(activity.subject, subject):
        found.append(Text(_("Subject") + ": " + activity.subject, style=styles.muted))
    return found


def attachment_line(activity: ActivityView, styles: ActivityStyles) -> Text | None:
    attachments = [a for a in activity.attachments if not a.inline]
    if not attachments:
        return None
    names = ", ".join(f"{a.name} ({human_size(a.size)})" for a in attachments)
    return Text(_("Attachments: {names}").format(names=names), style=styles.attachment)


def activity_parts(
    activity: ActivityView,
    styles: ActivityStyles,
    zone: tzinfo,
    *,
    subject: str = "",
    pinned: bool = False,
) -> tuple[str, list[Text]]:
    """One activity as (gutter kind, paragraphs): what :class:`ActivityLog` draws.

    ``pinned``: the first message, shown in full above the log, takes only its header.
    """
    kind = str(activity.kind)
    if kind not in BLOCK_KINDS:
        line = Text(describe(activity, zone), style=styles.text)
        line.append(
            "  · {author} · {when}".format(
                author=activity.author or "–",
                when=format_time(activity.created_at),
            ),
            style=styles.muted,
        )
        return "record", [line]
    parts = [header_text(activity, styles)]
    if pinned:
        parts[0].append("  " + _("(first message, shown above)"), style=styles.muted)
        return kind, parts
    parts.extend(mail_lines(activity, styles, subject))
    body = (activity.body or "").strip("\n")
    if kind == "delivery":
        details = activity.details or {}
        if details.get("to"):
            parts.append(Text(_("To") + ": " + ", ".join(details["to"]), style=styles.muted))
    if body:
        parts.append(Text(body, style=styles.text))
    attached = attachment_line(activity, styles)
    if attached is not None:
        parts.append(attached)
    return kind, parts


def first_message_text(first: ActivityView | None, subject: str, styles: ActivityStyles) -> Text:
    """The pinned first message: subject, who and when, and the whole text."""
    text = Text()
    if first is None:
        text.append(subject, style=styles.author)
        return text
    text.append(first.subject or subject, style=styles.author)
    text.append(
        "  {author} · {when}".format(
            author=first.author or "–", when=format_time(first.created_at)
        ),
        style=styles.muted,
    )
    if first.direction == "out":
        text.append(" · " + delivery_text(first), style=styles.muted)
    for mark in activity_marks(first):
        text.append("  ")
        text.append(f" {mark} ", style=styles.mark)
    body = (first.body or "").strip()
    if body:
        text.append("\n")
        text.append(body, style=styles.text)
    attached = attachment_line(first, styles)
    if attached is not None:
        text.append("\n")
        text.append_text(attached)
    return text


class ActivityLog(ScrollView, can_focus=True):
    """Every activity of a ticket, in order, drawn line by line."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "activity--muted",
        "activity--author",
        "activity--attachment",
        "activity--mark",
        "activity--label-message",
        "activity--label-reply",
        "activity--label-note",
        "activity--label-solution",
        "activity--label-delivery",
        "activity--gutter-message",
        "activity--gutter-reply",
        "activity--gutter-note",
        "activity--gutter-solution",
        "activity--gutter-delivery",
        "activity--gutter-record",
    }

    GUTTER = "▌ "
    FRAME_BUDGET = 0.03
    """Seconds of rendering per frame before the rest waits for the next one."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._activities: list[ActivityView] = []
        self._pinned_id: int | None = None
        self._subject = ""
        self._zone: tzinfo | None = None
        self._blocks: dict[tuple[Any, ...], list[Strip]] = {}
        """Rendered activities by (id, width, delivery state): a reload renders only
        what is new or changed (a mail that was sent meanwhile)."""
        self._lines: list[Strip] = []
        self._width = 0
        self._styles: ActivityStyles | None = None
        self._generation = 0
        """Counts layouts: a chunk of an older layout still queued sees it is stale."""
        self._done_from = 0
        """The first activity laid out (0: all of them)."""
        self._follow_end = False
        """The newest activity is in view and should stay there."""

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def styles_for_text(self) -> ActivityStyles:
        """The styles activities are drawn with (for text shown next to the log)."""
        return self._current_styles()

    def show(
        self,
        activities: Sequence[ActivityView],
        *,
        zone: tzinfo,
        subject: str = "",
        pinned_id: int | None = None,
        scroll_end: bool = False,
    ) -> None:
        """Show ``activities`` (keeping the place unless ``scroll_end``)."""
        at_end = self.scroll_y >= self.max_scroll_y and self._lines != []
        if subject != self._subject or pinned_id != self._pinned_id:
            self._blocks.clear()
        self._activities = list(activities)
        self._zone = zone
        self._subject = subject
        self._pinned_id = pinned_id
        self._follow_end = scroll_end or at_end
        self._layout(force=True)
        if self._follow_end:
            self.call_after_refresh(self._to_end)

    def _to_end(self) -> None:
        self.scroll_end(animate=False, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow_end = new_value >= self.max_scroll_y

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._blocks.clear()
        if self.is_attached and self._activities:
            self._layout(force=True)

    def on_resize(self, event: Resize) -> None:
        self._layout()
        if self._follow_end:
            # Showing the end, it stays there when the log grows or shrinks (the
            # pinned first message above it may take its room after a reload).
            self.call_after_refresh(self._to_end)

    def _current_styles(self) -> ActivityStyles:
        if self._styles is None:
            kinds = ("message", "reply", "note", "solution", "delivery")

            def style(name: str, *, background: bool = False) -> Style:
                # The full style: a partial one loses colors given with an alpha
                # ($text-muted). Its background is the log's; text next to the log
                # (the pinned first message) has its own, so only labels keep one.
                full = self.get_component_rich_style(name)
                return Style(
                    color=full.color,
                    bgcolor=full.bgcolor if background else None,
                    bold=full.bold,
                    italic=full.italic,
                )

            self._styles = ActivityStyles(
                text=Style(),
                muted=style("activity--muted"),
                author=style("activity--author"),
                attachment=style("activity--attachment"),
                mark=style("activity--mark", background=True),
                labels={k: style(f"activity--label-{k}", background=True) for k in kinds},
                gutters={k: style(f"activity--gutter-{k}") for k in (*kinds, "record")},
            )
        return self._styles

    def _layout(self, *, force: bool = False) -> None:
        """Lay the activities out for the current width, from the last one back.

        What fits in a frame's budget is drawn at once (a whole ordinary ticket, and
        every activity already rendered at this width); older activities of a long
        ticket follow a chunk per frame, added above without moving what is in view.
        """
        width = self.scrollable_content_region.width
        if width <= len(self.GUTTER) or (width == self._width and not force):
            return
        if width != self._width:
            self._blocks = {key: lines for key, lines in self._blocks.items() if key[1] == width}
        self._width = width
        self._generation += 1
        self._lines = []
        self._done_from = len(self._activities)
        self._add_older(self._generation, first=True)

    def _add_older(self, generation: int, *, first: bool = False) -> None:
        if generation != self._generation or not self.is_attached:
            return  # a newer layout took over
        width = self._width
        deadline = time.perf_counter() + self.FRAME_BUDGET
        end = start = self._done_from
        while start > 0 and (start == end or time.perf_counter() < deadline):
            start -= 1
            self._block(self._activities[start], start, width)
        older: list[Strip] = []
        for index in range(start, end):
            if index > 0 and self._separated(index):
                older.append(Strip([]))  # blocks stand apart; records run together
            older.extend(self._block(self._activities[index], index, width))
        at_end = self.scroll_y >= self.max_scroll_y
        self._lines = older + self._lines
        self._done_from = start
        self.virtual_size = Size(width, len(self._lines))
        if not first:
            if at_end:
                self.scroll_end(animate=False, immediate=True)
            else:
                self.scroll_to(y=self.scroll_y + len(older), animate=False, immediate=True)
        self.refresh()
        if start > 0:
            self.set_timer(0.01, lambda: self._add_older(generation))

    @property
    def complete(self) -> bool:
        """Every activity is laid out (a long ticket takes a few frames)."""
        return self._done_from == 0

    def _separated(self, index: int) -> bool:
        return (
            self._activities[index].kind in BLOCK_KINDS
            or self._activities[index - 1].kind in BLOCK_KINDS
        )

    def _block(self, activity: ActivityView, index: int, width: int) -> list[Strip]:
        delivery = activity.delivery
        state = (delivery.status, delivery.attempts, delivery.sent_at) if delivery else None
        key = (activity.id, width, state)
        found = self._blocks.get(key)
        if found is not None:
            return found
        styles = self._current_styles()
        kind, parts = activity_parts(
            activity,
            styles,
            self._zone or _utc(),
            subject=self._subject,
            pinned=activity.id is not None and activity.id == self._pinned_id,
        )
        console: Console = self.app.console
        options: ConsoleOptions = console.options.update(
            width=width - len(self.GUTTER), height=None, no_wrap=False, overflow="fold"
        )
        gutter = Segment(self.GUTTER, styles.gutter(kind))
        strips = [
            Strip([gutter, *line])
            for part in parts
            for line in console.render_lines(part, options, pad=False)
        ]
        self._blocks[key] = strips
        return strips

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return (
            self._lines[index]
            .crop_extend(scroll_x, scroll_x + width, None)
            .apply_style(self.rich_style)
        )


def _utc() -> tzinfo:
    from datetime import UTC

    return UTC
