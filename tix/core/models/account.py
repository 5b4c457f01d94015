"""Mail accounts: the addresses tix receives and sends mail with."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from tix.core.models.base import TixModel, UTCDateTime, utcnow


class TlsMode(StrEnum):
    SSL = "ssl"
    STARTTLS = "starttls"
    NONE = "none"


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
    channel_id: int | None = Field(default=None, foreign_key="channels.id")
    """Channel that new tickets from this account land in."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
