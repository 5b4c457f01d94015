"""Users and groups."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import Conflict, Invalid, Malformed, NotFound
from tix.core.i18n import _
from tix.core.models import Group, GroupMember, User
from tix.core.permissions import require_admin


def find_user(session: Session, login: str) -> User | None:
    return session.execute(
        select(User).where(col(User.login) == login.strip().lower())
    ).scalar_one_or_none()


def get_user(session: Session, login: str) -> User:
    user = find_user(session, login)
    if user is None:
        raise NotFound(
            _(
                "no user {login!r}: see `tix user list`, or add one with "
                "`tix user add {login} --name NAME --email ADDR`"
            ).format(login=login)
        )
    return user


def acting_user(session: Session, login: str) -> User:
    """The user a command acts as (``--as``, ``TIX_USER`` or the OS login)."""
    user = find_user(session, login)
    if user is None or not user.active:
        raise NotFound(
            _(
                "there is no active tix user {login!r} to act as: pass --as LOGIN or set TIX_USER "
                "(see `tix user list`)"
            ).format(login=login)
        )
    return user


def count_users(session: Session) -> int:
    return session.execute(select(func.count()).select_from(User)).scalar_one()


def add_user(
    session: Session,
    actor: User | None,
    *,
    login: str,
    name: str,
    email: str,
    is_admin: bool = False,
    language: str = "",
    timezone: str = "",
) -> User:
    """Add a staff user. ``actor`` is ``None`` only when the first admin is made by ``init``."""
    if actor is not None:
        require_admin(actor, _("add users"))
    login = validation.login(login)
    name = validation.name(name, what=_("the name"))
    email = validation.email_address(email)
    if timezone:
        _check_timezone(timezone)
    if find_user(session, login) is not None:
        raise Conflict(_("user {login!r} exists already").format(login=login))
    user = User(
        login=login,
        name=name,
        email=email,
        is_admin=is_admin,
        language=validation.language(language),
        timezone=timezone,
    )
    session.add(user)
    session.flush()
    return user


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Malformed(
            _("unknown time zone {name!r}: use an IANA name like Europe/Berlin").format(name=name)
        ) from None


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.login)).scalars().all())


def find_group(session: Session, name: str) -> Group | None:
    return session.execute(
        select(Group).where(col(Group.name) == name.strip())
    ).scalar_one_or_none()


def get_group(session: Session, name: str) -> Group:
    group = find_group(session, name)
    if group is None:
        raise NotFound(
            _(
                "no group {name!r}: see `tix group list`, or add it with `tix group add {name}`"
            ).format(name=name)
        )
    return group


def add_group(session: Session, actor: User, *, name: str) -> Group:
    require_admin(actor, _("add groups"))
    name = validation.name(name, what=_("the group name"), max_length=100)
    if find_group(session, name) is not None:
        raise Conflict(_("group {name!r} exists already").format(name=name))
    group = Group(name=name)
    session.add(group)
    session.flush()
    return group


def add_group_member(session: Session, actor: User, *, group: Group, user: User) -> bool:
    """Put ``user`` into ``group``; ``False`` when already a member."""
    require_admin(actor, _("change group members"))
    if session.get(GroupMember, (group.id, user.id)) is not None:
        return False
    assert group.id is not None and user.id is not None
    session.add(GroupMember(group_id=group.id, user_id=user.id))
    session.flush()
    return True


def remove_group_member(session: Session, actor: User, *, group: Group, user: User) -> bool:
    require_admin(actor, _("change group members"))
    member = session.get(GroupMember, (group.id, user.id))
    if member is None:
        return False
    session.delete(member)
    session.flush()
    return True


def list_groups(session: Session) -> list[tuple[Group, list[str]]]:
    """Every group with the logins of its members."""
    groups = list(session.execute(select(Group).order_by(Group.name)).scalars().all())
    members: dict[int, list[str]] = {}
    for group_id, login in session.execute(
        select(col(GroupMember.group_id), col(User.login))
        .join(User, col(User.id) == GroupMember.user_id)
        .order_by(User.login)
    ):
        members.setdefault(group_id, []).append(login)
    return [(group, members.get(group.id or 0, [])) for group in groups]


def members_of(session: Session, group_ids: list[int]) -> list[User]:
    if not group_ids:
        return []
    return list(
        session.execute(
            select(User)
            .join(GroupMember, col(GroupMember.user_id) == User.id)
            .where(col(GroupMember.group_id).in_(group_ids), col(User.active).is_(True))
            .distinct()
        )
        .scalars()
        .all()
    )


def update_user(
    session: Session,
    actor: User,
    *,
    user: User,
    name: str | None = None,
    email: str | None = None,
    notify_by_mail: bool | None = None,
    hourly_rate: Decimal | None = None,
    timezone: str | None = None,
    language: str | None = None,
    is_admin: bool | None = None,
    active: bool | None = None,
) -> User:
    """Change a user's settings: users their own preferences, admins everything."""
    own_preferences = (
        name is None
        and email is None
        and hourly_rate is None
        and (is_admin is None and active is None)
    )
    if not (actor.id == user.id and own_preferences):
        require_admin(actor, _("change other users or their rates and rights"))
    if actor.id == user.id and (is_admin is False or active is False):
        raise Invalid(
            _(
                "you cannot take away your own admin rights or deactivate yourself: "
                "ask another admin"
            )
        )
    if name is not None:
        user.name = validation.name(name, what=_("the name"))
    if email is not None:
        user.email = validation.email_address(email)
    if timezone is not None:
        if timezone:
            _check_timezone(timezone)
        user.timezone = timezone
    if language is not None:
        user.language = validation.language(language)
    if hourly_rate is not None:
        if hourly_rate < 0:
            raise Malformed(_("the hourly rate must not be negative"))
        user.hourly_rate = hourly_rate
    if notify_by_mail is not None:
        user.notify_by_mail = notify_by_mail
    if is_admin is not None:
        user.is_admin = is_admin
    if active is not None:
        user.active = active
    session.flush()
    return user
