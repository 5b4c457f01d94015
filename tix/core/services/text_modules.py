"""Text modules (Zammad's name; FreeScout says saved replies): named texts with variables
that agents put into replies, notes, solutions and new tickets.

A text module is global or belongs to one channel, and has language variants: ``de``,
``en``, or one for any language. The variant used is the customer's language, else the
agent's, else the installation's, else the one for any language, else English, else the
first. Agents use the global ones and those of the channels they work in (admins all);
on a ticket, the ticket's channel's module wins over a global one of the same name.
Admins manage global modules; an agent manages those of their channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import templating, validation
from tix.core.errors import Conflict, Forbidden, Invalid, Malformed, NotFound
from tix.core.i18n import LANGUAGES, _, language_code, normal_language
from tix.core.models import Channel, Contact, TextModule, Ticket, User, utcnow
from tix.core.permissions import can_see, channel_ids

MAX_NAME = 100
MAX_LENGTH = 20_000


@dataclass
class TextModuleInfo:
    """One text module with all its language variants."""

    name: str
    channel: Channel | None
    variants: dict[str, TextModule] = field(default_factory=dict)
    """By language (``""``: any language)."""

    @property
    def languages(self) -> list[str]:
        return sorted(self.variants)

    def describe(self) -> str:
        if self.channel is None:
            return _('text module "{name}"').format(name=self.name)
        return _('text module "{name}" of channel {channel}').format(
            name=self.name, channel=self.channel.name
        )

    def variant(self, language: str | None) -> TextModule:
        """The variant for ``language``, else the one for any language, else English,
        else the first."""
        for wanted in (language, "", "en", *LANGUAGES):
            if wanted is not None and wanted in self.variants:
                return self.variants[wanted]
        return self.variants[sorted(self.variants)[0]]


def _name(value: str) -> str:
    name = " ".join(validation.without_controls(value).split())
    if not name:
        raise Malformed(_("a text module needs a name, e.g. greeting"))
    if len(name) > MAX_NAME:
        raise Malformed(
            _("the name of a text module has at most {limit} characters").format(limit=MAX_NAME)
        )
    return name


def parse_language(value: str | None) -> str:
    """``de``/``en`` (also ``de_DE``) or ``""`` (any language) for ``value``."""
    if value is None or not value.strip() or value.strip().lower() in ("any", "*"):
        return ""
    code = normal_language(value)
    if code is None:
        raise Malformed(
            _("tix has no language {value!r}: use {languages} (or leave it out for any)").format(
                value=value, languages=", ".join(LANGUAGES)
            )
        )
    return code


def _body(value: str, what: str) -> str:
    body = validation.body(value, what=_("the text")).strip("\n")
    if len(body) > MAX_LENGTH:
        raise Invalid(_("the text is longer than {limit} characters").format(limit=MAX_LENGTH))
    templating.check(body, what=what)
    return body


def _require_may_manage(session: Session, actor: User, channel: Channel | None) -> None:
    if actor.is_admin:
        return
    if channel is None:
        raise Forbidden(
            _(
                "only admins may change global text modules; {login} is not an admin: "
                "give --channel for one of your channels"
            ).format(login=actor.login)
        )
    if channel.id not in channel_ids(session, actor):
        raise Forbidden(
            _("you ({login}) do not work in channel {channel}: ask an admin").format(
                login=actor.login, channel=channel.name
            )
        )


def _rows(session: Session, *, name: str | None, channels: list[int] | None) -> list[TextModule]:
    """Rows of global modules and those of ``channels`` (``None``: every channel)."""
    query = select(TextModule)
    if name is not None:
        query = query.where(col(TextModule.name) == name)
    if channels is not None:
        scope: ColumnElement[bool] = col(TextModule.channel_id).is_(None)
        if channels:
            scope = or_(scope, col(TextModule.channel_id).in_(channels))
        query = query.where(scope)
    return list(session.execute(query.order_by(col(TextModule.id))).scalars())


def _group(session: Session, rows: list[TextModule]) -> list[TextModuleInfo]:
    found: dict[tuple[str, int | None], TextModuleInfo] = {}
    for row in rows:
        key = (row.name.casefold(), row.channel_id)
        if key not in found:
            channel = session.get(Channel, row.channel_id) if row.channel_id else None
            found[key] = TextModuleInfo(row.name, channel)
        found[key].variants[row.language] = row
    return sorted(
        found.values(),
        key=lambda info: (info.name.casefold(), info.channel.name if info.channel else ""),
    )


def usable_channels(session: Session, actor: User) -> list[int] | None:
    """Channels whose modules ``actor`` may use (``None``: all, for admins)."""
    return None if actor.is_admin else channel_ids(session, actor)


def list_text_modules(
    session: Session,
    actor: User,
    *,
    channel: Channel | None = None,
    ticket: Ticket | None = None,
) -> list[TextModuleInfo]:
    """The modules ``actor`` may use: global ones and those of their channels; for
    ``ticket`` (or ``channel``) the global ones and that channel's."""
    if ticket is not None and ticket.channel_id is not None and channel is None:
        channel = session.get(Channel, ticket.channel_id)
    if ticket is not None and channel is None:
        return _group(session, _rows(session, name=None, channels=[]))
    usable = usable_channels(session, actor)
    if channel is not None:
        reachable = (
            usable is None
            or channel.id in usable
            or (ticket is not None and can_see(session, actor, ticket))
        )
        channels = [channel.id] if reachable and channel.id is not None else []
        return _group(session, _rows(session, name=None, channels=channels))
    return _group(session, _rows(session, name=None, channels=usable))


def _exact(session: Session, name: str, channel: Channel | None) -> TextModuleInfo | None:
    rows = [
        row
        for row in _rows(session, name=None, channels=None)
        if row.name.casefold() == name.casefold()
        and row.channel_id == (channel.id if channel else None)
    ]
    grouped = _group(session, rows)
    return grouped[0] if grouped else None


def get_text_module(
    session: Session,
    actor: User,
    name: str,
    *,
    channel: Channel | None = None,
    ticket: Ticket | None = None,
) -> TextModuleInfo:
    """The module called ``name`` that ``actor`` may use (on ``ticket``: the ticket's
    channel's before a global one)."""
    wanted = _name(name).casefold()
    matches = [
        info
        for info in list_text_modules(session, actor, channel=channel, ticket=ticket)
        if info.name.casefold() == wanted
    ]
    if not matches:
        raise NotFound(
            _("no text module {name!r} you may use here: see `tix template list`").format(name=name)
        )
    matches.sort(key=lambda info: info.channel is None)  # a channel's module first
    return matches[0]


def add_text_module(
    session: Session,
    actor: User,
    *,
    name: str,
    body: str,
    channel: Channel | None = None,
    language: str | None = None,
) -> TextModuleInfo:
    """Add a text module, or another language variant of one."""
    name = _name(name)
    code = parse_language(language)
    _require_may_manage(session, actor, channel)
    existing = _exact(session, name, channel)
    if existing is not None:
        name = existing.name
        if code in existing.variants:
            raise Conflict(
                _(
                    "{module} has a {language} text already: change it with `tix template set`"
                ).format(module=existing.describe(), language=_language_label(code))
            )
    info = TextModuleInfo(name, channel)
    row = TextModule(
        name=name,
        channel_id=channel.id if channel else None,
        language=code,
        body=_body(body, info.describe()),
        created_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    found = _exact(session, name, channel)
    assert found is not None
    return found


def _language_label(code: str) -> str:
    return {"": _("any-language"), "en": _("English"), "de": _("German")}.get(code, code)


def _managed(session: Session, actor: User, name: str, channel: Channel | None) -> TextModuleInfo:
    _require_may_manage(session, actor, channel)
    found = _exact(session, _name(name), channel)
    if found is None:
        if channel is None:
            raise NotFound(
                _("no global text module {name!r}: see `tix template list`").format(name=name)
            )
        raise NotFound(
            _("no text module {name!r} in channel {channel}: see `tix template list`").format(
                name=name, channel=channel.name
            )
        )
    return found


def set_text_module(
    session: Session,
    actor: User,
    *,
    name: str,
    channel: Channel | None = None,
    language: str | None = None,
    body: str | None = None,
    new_name: str | None = None,
) -> TextModuleInfo:
    """Change a module's text (one language variant) or its name."""
    if body is None and new_name is None:
        raise Malformed(_("nothing to change: give --body, --body-file or --rename"))
    code = parse_language(language)
    info = _managed(session, actor, name, channel)
    if body is not None:
        row = info.variants.get(code)
        if row is None:
            raise NotFound(
                _("{module} has no {language} text: add it with `tix template add`").format(
                    module=info.describe(), language=_language_label(code)
                )
            )
        row.body = _body(body, info.describe())
        row.updated_at = utcnow()
    if new_name is not None:
        renamed = _name(new_name)
        other = _exact(session, renamed, channel)
        if other is not None and other.name.casefold() != info.name.casefold():
            raise Conflict(
                _("{module} exists already: choose another name").format(module=other.describe())
            )
        for row in info.variants.values():
            row.name = renamed
            row.updated_at = utcnow()
        info.name = renamed
    session.flush()
    return info


def remove_text_module(
    session: Session,
    actor: User,
    *,
    name: str,
    channel: Channel | None = None,
    language: str | None = None,
) -> TextModuleInfo:
    """Remove a module (all its variants), or only the variant of ``language``."""
    code = parse_language(language) if language is not None else None
    info = _managed(session, actor, name, channel)
    if code is not None:
        row = info.variants.get(code)
        if row is None:
            raise NotFound(
                _("{module} has no {language} text").format(
                    module=info.describe(), language=_language_label(code)
                )
            )
        session.delete(row)
        del info.variants[code]
    else:
        for row in info.variants.values():
            session.delete(row)
        info.variants.clear()
    session.flush()
    return info


def text_language(session: Session, actor: User, ticket: Ticket | None) -> str:
    """The language a text for ``ticket`` is written in: the customer's, else the
    agent's, else the installation's."""
    if ticket is not None and ticket.customer_id is not None:
        customer = session.get(Contact, ticket.customer_id)
        if customer is not None and normal_language(customer.language or ""):
            return normal_language(customer.language) or "en"
    if actor.language and normal_language(actor.language):
        return normal_language(actor.language) or "en"
    return normal_language(language_code()) or "en"


def render_text_module(
    session: Session,
    actor: User,
    info: TextModuleInfo,
    *,
    ticket: Ticket | None = None,
    channel: Channel | None = None,
    customer: Contact | None = None,
    language: str | None = None,
) -> str:
    """The text of ``info`` for ``ticket`` (or a ticket still being written, in
    ``channel`` for ``customer``), in the customer's or the agent's language."""
    if ticket is not None:
        code = text_language(session, actor, ticket)
    elif customer is not None and normal_language(customer.language or ""):
        code = normal_language(customer.language) or "en"
    else:
        code = text_language(session, actor, None)
    if language:
        code = parse_language(language) or code
    values = templating.values_for(
        session,
        agent=actor,
        ticket=ticket,
        channel=channel,
        customer=customer,
        language=code,
    )
    from tix.core.services.signatures import SignatureOwner, find_signature

    own = find_signature(session, SignatureOwner(user=actor))
    if own is not None:
        values["agent"]["signature"] = templating.render(
            own.body, values, what=_("the signature of user {login}").format(login=actor.login)
        ).strip("\n")
    return templating.render(info.variant(code).body, values, what=info.describe())


def use_text_module(
    session: Session,
    actor: User,
    name: str,
    *,
    ticket: Ticket | None = None,
    channel: Channel | None = None,
    customer: Contact | None = None,
) -> str:
    """The rendered text of the module ``name`` as ``actor`` may use it here."""
    info = get_text_module(session, actor, name, channel=channel, ticket=ticket)
    return render_text_module(
        session, actor, info, ticket=ticket, channel=channel, customer=customer
    )
