"""Keys for the web API. A key acts as an agent (whose access rules apply), optionally
restricted to some channels; only its SHA-256 is stored and it is shown once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import clock, validation
from tix.core.errors import Conflict, NotFound
from tix.core.i18n import _
from tix.core.models import ApiKey, Channel, User
from tix.core.permissions import require_admin

PREFIX = "tix_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(
    session: Session, actor: User, *, name: str, agent: User, channels: list[Channel] | None = None
) -> tuple[ApiKey, str]:
    """A new key; returns it and the token (shown to the admin once, never stored)."""
    require_admin(actor, _("make API keys"))
    name = validation.name(name, what=_("the key name"), max_length=100)
    if session.execute(select(ApiKey).where(col(ApiKey.name) == name)).first() is not None:
        raise Conflict(_("an API key {name!r} exists already").format(name=name))
    token = PREFIX + secrets.token_urlsafe(32)
    assert agent.id is not None
    key = ApiKey(
        name=name,
        prefix=token[:12],
        token_hash=_digest(token),
        user_id=agent.id,
        channels=[c.name for c in channels] if channels else None,
    )
    session.add(key)
    session.flush()
    return key, token


def list_keys(session: Session, actor: User) -> list[tuple[ApiKey, str]]:
    require_admin(actor, _("see API keys"))
    return [
        (key, login)
        for key, login in session.execute(
            select(ApiKey, col(User.login))
            .join(User, col(User.id) == ApiKey.user_id)
            .order_by(col(ApiKey.name))
        ).all()
    ]


def revoke_key(session: Session, actor: User, *, name: str) -> ApiKey:
    require_admin(actor, _("revoke API keys"))
    key = session.execute(select(ApiKey).where(col(ApiKey.name) == name)).scalar_one_or_none()
    if key is None:
        raise NotFound(_("no API key {name!r}: see `tix apikey list`").format(name=name))
    if key.revoked_at is None:
        key.revoked_at = clock.now()
    session.flush()
    return key


def authenticate(session: Session, token: str) -> tuple[ApiKey, User] | None:
    """The key and its agent for a bearer ``token``; ``None`` if unknown or revoked."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    found = session.execute(
        select(ApiKey, User)
        .join(User, col(User.id) == ApiKey.user_id)
        .where(col(ApiKey.token_hash) == _digest(token))
    ).first()
    if found is None:
        return None
    key, user = found
    if key.revoked_at is not None or not user.active:
        return None
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
        key.last_used_at = now
    return key, user
