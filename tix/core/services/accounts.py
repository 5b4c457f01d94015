"""Mail accounts. Passwords and OAuth2 tokens are never stored in the database: they
come from a variable or a command, or (refresh tokens) from a private file."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import Conflict, Invalid, Malformed, NotFound, Unavailable
from tix.core.i18n import _
from tix.core.models import AuthMode, Channel, MailAccount, TlsMode, User
from tix.core.permissions import require_admin

log = logging.getLogger("tix.mail")

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
        raise Malformed(
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
    auth: str = AuthMode.PASSWORD,
    oauth2_token_cmd: str = "",
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
            raise Malformed(
                _("the password command cannot be parsed: {error}").format(error=error)
            ) from None
    auth_mode = _auth(auth)
    token_cmd = _command(oauth2_token_cmd, option="--oauth2-token-cmd")
    if token_cmd and auth_mode != AuthMode.OAUTH2:
        raise Invalid(_("--oauth2-token-cmd needs --auth oauth2"))
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
        auth=auth_mode.value,
        oauth2_token_cmd=token_cmd,
        channel_id=channel.id if channel else None,
    )
    session.add(account)
    session.flush()
    return account


def _auth(value: str) -> AuthMode:
    try:
        return AuthMode(value.strip().lower())
    except ValueError:
        raise Malformed(
            _("unknown sign-in {auth!r}: use password or oauth2").format(auth=value)
        ) from None


def _command(value: str, *, option: str) -> str:
    """``value`` stripped; refused when a shell could not split it into words."""
    value = value.strip()
    if value:
        try:
            shlex.split(value)
        except ValueError as error:
            raise Malformed(
                _("{option}: the command cannot be parsed: {error}").format(
                    option=option, error=error
                )
            ) from None
    return value


def _tls(value: str) -> TlsMode:
    try:
        return TlsMode(value.strip().lower())
    except ValueError:
        raise Malformed(
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
    auth_given = changes.get("auth")
    if changes.get("oauth2_token_cmd"):
        mode = _auth(str(auth_given)) if auth_given is not None else AuthMode(account.auth)
        if mode != AuthMode.OAUTH2:
            raise Invalid(_("--oauth2-token-cmd needs --auth oauth2"))
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
        elif key == "auth":
            new_mode = _auth(str(value)).value
            if new_mode != account.auth:
                account.auth = new_mode
                account.auth_problem = None
                account.auth_problem_at = None
        elif key == "oauth2_token_cmd":
            account.oauth2_token_cmd = _command(str(value), option="--oauth2-token-cmd")
            account.auth_problem = None
            account.auth_problem_at = None
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


OAUTH2_SETTINGS = (
    "oauth2_provider",
    "oauth2_client_id",
    "oauth2_client_secret_env",
    "oauth2_tenant",
    "oauth2_authorize_url",
    "oauth2_token_url",
    "oauth2_device_url",
    "oauth2_scopes",
    "oauth2_refresh_token_file",
    "oauth2_refresh_token_cmd",
)


def set_oauth2_sign_in(
    session: Session, actor: User, *, account: MailAccount, settings: dict[str, str]
) -> MailAccount:
    """Make ``account`` sign in with tix's own OAuth2 client (after a successful sign-in):
    ``settings`` holds every ``oauth2_*`` setting of :data:`OAUTH2_SETTINGS`. A token
    command the account had is dropped: the built-in client takes over."""
    require_admin(actor, _("change mail accounts"))
    unknown = set(settings) - set(OAUTH2_SETTINGS)
    if unknown:
        raise ValueError(f"unknown OAuth2 settings {sorted(unknown)}")
    for key in OAUTH2_SETTINGS:
        setattr(account, key, " ".join(settings.get(key, "").split()))
    account.auth = AuthMode.OAUTH2.value
    account.oauth2_token_cmd = ""
    account.auth_problem = None
    account.auth_problem_at = None
    session.flush()
    return account


def record_auth_problem(
    session: Session, *, account_id: int, problem: str | None, now: datetime
) -> bool:
    """Remember why the account cannot sign in (``None``: it can again). Returns True when
    that is news: a new problem after none, or the end of one; the caller tells people
    once, not on every round."""
    account = session.get(MailAccount, account_id)
    if account is None:
        return False
    if problem is None:
        if account.auth_problem is None:
            return False
        account.auth_problem = None
        account.auth_problem_at = None
        session.flush()
        return True
    if account.auth_problem is not None:
        return False
    account.auth_problem = problem[:1000]
    account.auth_problem_at = now
    session.flush()
    return True


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
