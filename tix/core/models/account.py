"""Mail accounts: the addresses tix receives and sends mail with."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.channel  # noqa: F401
from tix.core.models.base import TixModel, UTCDateTime, utcnow


class TlsMode(StrEnum):
    SSL = "ssl"
    STARTTLS = "starttls"
    NONE = "none"


class AuthMode(StrEnum):
    PASSWORD = "password"
    OAUTH2 = "oauth2"


class MailAccount(TixModel, table=True):
    """An address with its IMAP (in) and SMTP (out) servers.

    The password is never stored: it comes from the environment variable
    ``password_env`` or the output of the command ``password_cmd``.
    """

    __tablename__ = "mail_accounts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    address: str = Field(max_length=320)
    display_name: str = Field(default="", max_length=200)
    imap_host: str = Field(default="", max_length=255)
    imap_port: int | None = None
    imap_user: str = Field(default="", max_length=320)
    imap_folder: str = Field(default="INBOX", max_length=255)
    smtp_host: str = Field(default="", max_length=255)
    smtp_port: int | None = None
    smtp_user: str = Field(default="", max_length=320)
    tls: str = Field(default=TlsMode.SSL, max_length=16)
    """TLS for IMAP (and for SMTP unless ``smtp_tls`` is set)."""
    smtp_tls: str = Field(default="", max_length=16)
    """TLS for SMTP when it differs from IMAP's (993 with SSL, 587 with STARTTLS)."""
    sent_folder: str = Field(default="", max_length=255)
    """IMAP folder that gets a copy of every mail sent; empty: none."""
    move_to: str = Field(default="", max_length=255)
    """IMAP folder imported mail is moved to; empty: it stays, marked seen and imported."""
    password_env: str = Field(default="", max_length=200)
    password_cmd: str = Field(default="", max_length=1000)
    auth: str = Field(default=AuthMode.PASSWORD, max_length=16)
    """``password`` (from ``password_env``/``password_cmd``) or ``oauth2`` (SASL XOAUTH2)."""
    oauth2_token_cmd: str = Field(default="", max_length=1000)
    """A command that prints a current access token (oama, mutt_oauth2.py ...)."""
    oauth2_provider: str = Field(default="", max_length=16)
    """``microsoft``, ``google`` or ``custom``: set by ``tix account oauth``."""
    oauth2_client_id: str = Field(default="", max_length=200)
    oauth2_client_secret_env: str = Field(default="", max_length=200)
    """Variable holding the client secret, for providers that want one (Google)."""
    oauth2_tenant: str = Field(default="", max_length=100)
    oauth2_authorize_url: str = Field(default="", max_length=500)
    oauth2_token_url: str = Field(default="", max_length=500)
    oauth2_device_url: str = Field(default="", max_length=500)
    oauth2_scopes: str = Field(default="", max_length=1000)
    oauth2_refresh_token_file: str = Field(default="", max_length=1000)
    """Where the refresh token is kept; empty: a private file in the config folder."""
    oauth2_refresh_token_cmd: str = Field(default="", max_length=1000)
    """A command that prints the refresh token, instead of a file (read only)."""
    auth_problem: str | None = Field(default=None, max_length=1000)
    """Why signing in stopped working (a token that can no longer be refreshed); never a
    secret. Cleared by the next successful sign-in."""
    auth_problem_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_id: int | None = Field(default=None, foreign_key="channels.id")
    """Channel that new tickets from this account land in."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
