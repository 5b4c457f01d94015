"""Channels and the groups that may work them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import Conflict, Invalid, Malformed, NotFound
from tix.core.i18n import _
from tix.core.models import Channel, ChannelGroup, Group, User
from tix.core.permissions import require_admin

STRANGER_FOLLOW_UPS = ("attach", "new")
"""What a follow-up from a stranger does: attached as a third party's message (reopens
nothing), or a new ticket that points to the old one."""


def find_channel(session: Session, name: str) -> Channel | None:
    return session.execute(
        select(Channel).where(col(Channel.name) == name.strip())
    ).scalar_one_or_none()


def get_channel(session: Session, name: str) -> Channel:
    channel = find_channel(session, name)
    if channel is None:
        raise NotFound(
            _(
                "no channel {name!r}: see `tix channel list`, or add it with "
                "`tix channel add {name}`"
            ).format(name=name)
        )
    return channel


def add_channel(
    session: Session,
    actor: User,
    *,
    name: str,
    groups: list[Group] | tuple[Group, ...] = (),
    default_owner: User | None = None,
) -> Channel:
    require_admin(actor, _("add channels"))
    name = validation.name(name, what=_("the channel name"), max_length=100)
    if find_channel(session, name) is not None:
        raise Conflict(_("channel {name!r} exists already").format(name=name))
    channel = Channel(name=name, default_owner_id=default_owner.id if default_owner else None)
    session.add(channel)
    session.flush()
    assert channel.id is not None
    for group in {group.id: group for group in groups}.values():
        assert group.id is not None
        session.add(ChannelGroup(channel_id=channel.id, group_id=group.id))
    session.flush()
    return channel


@dataclass(frozen=True)
class ChannelInfo:
    channel: Channel
    groups: list[str]
    default_owner: str | None


def list_channels(session: Session) -> list[ChannelInfo]:
    channels = list(session.execute(select(Channel).order_by(Channel.name)).scalars().all())
    groups: dict[int, list[str]] = {}
    for channel_id, group_name in session.execute(
        select(col(ChannelGroup.channel_id), col(Group.name))
        .join(Group, col(Group.id) == ChannelGroup.group_id)
        .order_by(Group.name)
    ):
        groups.setdefault(channel_id, []).append(group_name)
    owners: dict[int | None, str] = dict(
        session.execute(select(col(User.id), col(User.login))).all()
    )
    return [
        ChannelInfo(
            channel=channel,
            groups=groups.get(channel.id or 0, []),
            default_owner=owners.get(channel.default_owner_id or 0),
        )
        for channel in channels
    ]


def update_channel(
    session: Session,
    actor: User,
    *,
    channel: Channel,
    groups: list[Group] | None = None,
    default_owner: User | None = None,
    acknowledge: bool | None = None,
    ack_subject: str | None = None,
    ack_body: str | None = None,
    web: bool | None = None,
    allowed_origins: list[str] | None = None,
    stranger_follow_ups: str | None = None,
) -> Channel:
    """Change a channel (admins): its groups (replaced when given), default owner, the
    automatic acknowledgement of new tickets, and what a follow-up from a stranger does
    (``attach`` it as a third party's message, or open a ``new`` ticket)."""
    require_admin(actor, _("change channels"))
    if stranger_follow_ups is not None:
        stranger_follow_ups = stranger_follow_ups.strip().lower()
        if stranger_follow_ups not in STRANGER_FOLLOW_UPS:
            raise Malformed(
                _(
                    "unknown choice {value!r} for follow-ups from strangers: use attach or new"
                ).format(value=stranger_follow_ups)
            )
    if groups is not None:
        session.execute(delete(ChannelGroup).where(col(ChannelGroup.channel_id) == channel.id))
        assert channel.id is not None
        for group in {group.id: group for group in groups}.values():
            assert group.id is not None
            session.add(ChannelGroup(channel_id=channel.id, group_id=group.id))
    if default_owner is not None:
        channel.default_owner_id = default_owner.id
    if ack_subject is not None:
        channel.ack_subject = " ".join(ack_subject.split())[:500]
    if ack_body is not None:
        if len(ack_body) > 10000:
            raise Invalid(_("the acknowledgement is too long: at most 10000 characters"))
        channel.ack_body = ack_body
    if acknowledge is not None:
        channel.acknowledge = acknowledge
    if web is not None:
        channel.web = web
    if allowed_origins is not None:
        channel.allowed_origins = [_origin(origin) for origin in allowed_origins] or None
    if stranger_follow_ups is not None:
        channel.stranger_follow_ups = stranger_follow_ups
    session.flush()
    return channel


def _origin(value: str) -> str:
    """``https://www.example.com`` (scheme and host, no path), as browsers send Origin."""
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise Malformed(
            _("{value!r} is not a web site origin: write it like https://www.example.com").format(
                value=value
            )
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"
