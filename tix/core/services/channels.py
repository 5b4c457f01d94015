"""Channels and the groups that may work them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import Conflict, NotFound
from tix.core.i18n import _
from tix.core.models import Channel, ChannelGroup, Group, User
from tix.core.permissions import require_admin


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
