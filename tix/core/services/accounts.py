"""Mail accounts. Passwords are never stored: they come from a variable or a command."""

from __future__ import annotations

import os
import shlex
import subprocess

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import Conflict, Invalid, NotFound, Unavailable
from tix.core.i18n import _
from tix.core.models import Channel, MailAccount, TlsMode, User
from tix.core.permissions import require_admin

DEFAULT_PORTS = {
    "imap": {TlsMode.SSL: 993, TlsMode.STARTTLS: 143, TlsMode.NONE: 143},
    "smtp": {TlsMode.SSL: 465, TlsMode.STARTTLS: 587, TlsMode.NONE: 25},
}


def find_account(session: Session, name: str) -> MailAccount | None:
    return session.execute(
        select(MailAccount).where(col(MailAccount.name) == name.strip())
    ).scalar_one_or_none()


def get_account(session: Session, name: str) -> MailAccount:
    account = find_account(session, name)
    if account is None:
        raise NotFound(
            _(
                "no mail account {name!r}: see `tix account list`, or add it with "
                "`tix account add {name} --address ADDR`"
            ).format(name=name)
        )
    return account


def _port(value: int | None, *, what: str) -> int | None:
    if value is not None and not 0 < value < 65536:
        raise Invalid(
            _("{what} port {value} is out of range: use 1 to 65535").format(what=what, value=value)
        )
    return value


def add_account(
    session: Session,
    actor: User,
    *,
    name: str,
    address: str,
    display_name: str = "",
    imap_host: str = "",
    imap_port: int | None = None,
    imap_user: str = "",
    imap_folder: str = "INBOX",
    smtp_host: str = "",
    smtp_port: int | None = None,
    smtp_user: str = "",
    tls: str = TlsMode.SSL,
    smtp_tls: str = "",
    password_env: str = "",
    password_cmd: str = "",
    channel: Channel | None = None,
    sent_folder: str = "",
    move_to: str = "",
) -> MailAccount:
    require_admin(actor, _("add mail accounts"))
    name = validation.name(name, what=_("the account name"), max_length=100)
    address = validation.email_address(address)
    if find_account(session, name) is not None:
        raise Conflict(_("mail account {name!r} exists already").format(name=name))
    tls_mode = _tls(tls)
    smtp_mode = _tls(smtp_tls) if smtp_tls else None
    if password_env and password_cmd:
        raise Invalid(_("give either --password-env or --password-cmd, not both"))
    if password_cmd:
        try:
            shlex.split(password_cmd)
        except ValueError as error:
            raise Invalid(
                _("the password command cannot be parsed: {error}").format(error=error)
            ) from None
    account = MailAccount(
        name=name,
        address=address,
        display_name=" ".join(display_name.split()),
        imap_host=imap_host.strip(),
        imap_port=_port(imap_port, what="IMAP")
        or (DEFAULT_PORTS["imap"][tls_mode] if imap_host else None),
        imap_user=imap_user.strip() or (address if imap_host else ""),
        imap_folder=imap_folder.strip() or "INBOX",
        smtp_host=smtp_host.strip(),
        smtp_port=_port(smtp_port, what="SMTP")
        or (DEFAULT_PORTS["smtp"][smtp_mode or tls_mode] if smtp_host else None),
        smtp_user=smtp_user.strip(),
        tls=tls_mode.value,
        smtp_tls=smtp_mode.value if smtp_mode else "",
        sent_folder=sent_folder.strip(),
        move_to=move_to.strip(),
        password_env=password_env.strip(),
        password_cmd=password_cmd.strip(),
        channel_id=channel.id if channel else None,
    )
    session.add(account)
    session.flush()
    return account


def _tls(value: str) -> TlsMode:
    try:
        return TlsMode(value.strip().lower())
    except ValueError:
        raise Invalid(
            _("unknown TLS mode {tls!r}: use ssl, starttls or none").format(tls=value)
        ) from None


def update_account(
    session: Session,
    actor: User,
    *,
    account: MailAccount,
    changes: dict[str, object],
) -> MailAccount:
    """Change an account's settings (admins); ``changes`` holds only what was given."""
    require_admin(actor, _("change mail accounts"))
    for key, value in changes.items():
        if key == "address":
            account.address = validation.email_address(str(value))
        elif key in ("tls", "smtp_tls"):
            setattr(account, key, _tls(str(value)).value if value else "")
        elif key in ("imap_port", "smtp_port"):
            setattr(
                account,
                key,
                _port(value if value is None else int(str(value)), what=key[:4].upper()),
            )
        elif key == "channel":
            account.channel_id = value.id if isinstance(value, Channel) else None
        elif key in ("password_env", "password_cmd"):
            setattr(account, key, str(value).strip())
            other = "password_cmd" if key == "password_env" else "password_env"
            if value:
                setattr(account, other, "")
        elif key in (
            "display_name",
            "imap_host",
            "imap_user",
            "imap_folder",
            "smtp_host",
            "smtp_user",
            "sent_folder",
            "move_to",
        ):
            setattr(account, key, " ".join(str(value).split()))
        else:
            raise ValueError(f"unknown account setting {key}")
    session.flush()
    return account


def list_accounts(session: Session) -> list[MailAccount]:
    return list(session.execute(select(MailAccount).order_by(MailAccount.name)).scalars().all())


def account_password(account: MailAccount) -> str | None:
    """The account's password from its variable or command; ``None`` when it has neither."""
    if account.password_env:
        value = os.environ.get(account.password_env)
        if value is None:
            raise Invalid(
                _(
                    "mail account {name}: the variable {variable} is not set: export it with "
                    "the password"
                ).format(name=account.name, variable=account.password_env)
            )
        return value
    if account.password_cmd:
        try:
            result = subprocess.run(
                shlex.split(account.password_cmd),
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise Unavailable(
                _("mail account {name}: the password command failed: {error}").format(
                    name=account.name, error=error
                )
            ) from None
        if result.returncode != 0:
            raise Unavailable(
                _("mail account {name}: the password command exited with {code}: {stderr}").format(
                    name=account.name, code=result.returncode, stderr=result.stderr.strip()[:200]
                )
            )
        return result.stdout.rstrip("\n")
    return None
