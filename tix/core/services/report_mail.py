"""Reports by mail: a text summary with the workbook attached, queued in the outbox.

A report belongs to no ticket, so its attachment cannot be a ticket's file as a reply's
are: the message is composed when it is queued, stored as the outbox message's bytes
(``sha256``), and the sender sends those bytes as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import clock, validation
from tix.core.errors import Invalid, NotFound
from tix.core.i18n import _
from tix.core.mail.compose import Outgoing, OutgoingAttachment, compose
from tix.core.mail.ingest import store_raw
from tix.core.models import MailAccount, OutboxMessage, OutboxPurpose, User
from tix.core.services import outbox

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sending_account(session: Session, name: str | None) -> MailAccount:
    """The account called ``name``, else the first that can send mail."""
    query = select(MailAccount).where(col(MailAccount.smtp_host) != "")
    if name is not None:
        account = session.execute(
            select(MailAccount).where(col(MailAccount.name) == name)
        ).scalar_one_or_none()
        if account is None:
            raise NotFound(_("no mail account {name}: see `tix account list`").format(name=name))
        if not account.smtp_host:
            raise Invalid(
                _(
                    "mail account {name} has no SMTP server: set one with `tix account set "
                    "{name} --smtp-host HOST`"
                ).format(name=name)
            )
        return account
    found = session.execute(query.order_by(col(MailAccount.id))).scalars().first()
    if found is None:
        raise Invalid(
            _("no mail account can send mail: add one with `tix account add` and an SMTP server")
        )
    return found


def queue_report_mail(
    session: Session,
    actor: User,
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    file_name: str,
    workbook: bytes,
    account_name: str | None = None,
) -> OutboxMessage:
    """Queue the report mail to ``to`` from the account called ``account_name`` (or the
    first that can send), the workbook attached; the worker sends it."""
    addresses = [validation.email_address(address) for address in to]
    if not addresses:
        raise Invalid(_("give at least one address to send the report to"))
    account = sending_account(session, account_name)
    message = outbox.queue_mail(
        session,
        purpose=OutboxPurpose.NOTIFICATION,
        account=account,
        to=addresses,
        subject=subject,
        body=body,
    )
    raw = compose(
        Outgoing(
            sender=message.mail_from,
            to=addresses,
            cc=(),
            bcc=(),
            subject=subject,
            body=body,
            message_id=message.message_id,
            date=clock.now(),
            automatic=True,
            attachments=[OutgoingAttachment(name=file_name, content_type=XLSX_TYPE, data=workbook)],
        )
    )
    message.sha256 = store_raw(session, raw)
    session.flush()
    del actor  # any user may mail the reports they may see
    return message
