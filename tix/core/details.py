"""The views of one ticket and of the records around it (activities, watchers, contacts,
users, accounts), as the typed models of :mod:`tix.core.read_models`.

Apart from the lists in :mod:`tix.core.views`, so a command that only lists tickets does not
load the tables and models a ticket's page needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.addresses import primary_addresses
from tix.core.i18n import _
from tix.core.models import (
    Activity,
    ActivityKind,
    Category,
    Channel,
    Contact,
    Group,
    MailAccount,
    Organization,
    OutboxMessage,
    OutboxStatus,
    Project,
    Ticket,
    TicketCategory,
    TicketFile,
    User,
    Watcher,
    utcnow,
)
from tix.core.permissions import require_see
from tix.core.read_models import (
    ActivityResult,
    ActivityView,
    AlarmView,
    AttachmentView,
    ContactView,
    DeliveryView,
    FileView,
    TicketDetail,
    TicketTimeView,
    WatcherView,
)
from tix.core.read_models.links import LinkedTicketView
from tix.core.read_models.sla import TicketSlaView
from tix.core.timeutil import iso

# --- one ticket -----------------------------------------------------------------------


def _names(session: Session, model: Any, ids: set[int | None], column: Any) -> dict[int, str]:
    ids.discard(None)
    if not ids:
        return {}
    return dict(session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def activity_view(
    activity: Activity,
    users: dict[int, str],
    contacts: dict[int, str],
    zone: tzinfo,
    attachments: Sequence[TicketFile] = (),
    delivery: DeliveryView | None = None,
) -> ActivityView:
    """One activity. Every activity says whether it is ``automatic`` mail (``"bounce"``,
    ``"auto_reply"``, ``"list"`` or ``None``) and whether it came from a ``third_party``
    (someone the ticket did not know); a mail tix sends says how its ``delivery``
    stands (pending, sent or failed, with the error)."""
    author: str | None = None
    if activity.author_user_id is not None:
        author = users.get(activity.author_user_id)
    elif activity.author_contact_id is not None:
        author = contacts.get(activity.author_contact_id)
    return ActivityView(
        id=activity.id,
        seq=activity.seq,
        kind=activity.kind,
        author=author,
        created_at=iso(activity.created_at, zone) or "",
        subject=activity.subject,
        body=activity.body,
        internal=activity.kind == ActivityKind.NOTE,
        automatic=(activity.details or {}).get("automatic"),
        third_party=bool((activity.details or {}).get("third_party")),
        field=activity.field,
        old=activity.old_value,
        new=activity.new_value,
        direction=activity.direction,
        from_=activity.mail_from,
        to=activity.mail_to or [],
        cc=activity.mail_cc or [],
        bcc=activity.mail_bcc or [],
        message_id=activity.message_id,
        in_reply_to=activity.in_reply_to,
        html=activity.body_html,
        delivery=delivery,
        attachments=[
            AttachmentView(
                id=f.id, name=f.name, size=f.size, content_type=f.content_type, inline=f.inline
            )
            for f in attachments
        ],
        details=activity.details or None,
    )


def activity_result(
    session: Session, author: User, ticket: Ticket, activity: Activity, zone: tzinfo
) -> ActivityResult:
    """An activity ``author`` just added, with its ticket's number and new status."""
    from tix.core.services import files  # not needed for lists: imported when used

    attached = files.activity_files(session, [activity.id or 0]).get(activity.id or 0, [])
    view = activity_view(activity, {author.id or 0: author.login}, {}, zone, attached)
    return ActivityResult(**dict(view), ticket=ticket.number, status=ticket.status)


def ticket_activities(
    session: Session, ticket: Ticket, zone: tzinfo, *, include_notes: bool = True
) -> list[ActivityView]:
    query = select(Activity).where(col(Activity.ticket_id) == ticket.id).order_by(col(Activity.seq))
    if not include_notes:
        query = query.where(col(Activity.kind) != ActivityKind.NOTE)
    activities = list(session.execute(query).scalars().all())
    users = _names(session, User, {a.author_user_id for a in activities}, User.login)
    contacts = _contact_addresses(session, {a.author_contact_id for a in activities})
    from tix.core.services import files  # not needed for lists: imported when used

    attached = files.activity_files(session, [a.id for a in activities if a.id is not None])
    deliveries = _deliveries(session, [a.id for a in activities if a.direction == "out"], zone)
    return [
        activity_view(
            activity,
            users,
            contacts,
            zone,
            attached.get(activity.id or 0, ()),
            deliveries.get(activity.id or 0),
        )
        for activity in activities
    ]


def _deliveries(
    session: Session, activity_ids: list[int | None], zone: tzinfo
) -> dict[int, DeliveryView]:
    """How the mails of these activities stand in the outbox: failed if any copy failed
    (the server refused it, or a bounce came back), pending while one waits (with the
    attempts so far and the last error: retrying), else sent (when the last copy went)."""
    ids = [i for i in activity_ids if i is not None]
    if not ids:
        return {}
    rank: dict[str, int] = {
        OutboxStatus.FAILED: 3,
        OutboxStatus.PENDING: 2,
        OutboxStatus.SENDING: 2,
    }
    found: dict[int, tuple[int, DeliveryView]] = {}
    for activity_id, status, error, attempts, sent_at in session.execute(
        select(
            col(OutboxMessage.activity_id),
            col(OutboxMessage.status),
            col(OutboxMessage.last_error),
            col(OutboxMessage.attempts),
            col(OutboxMessage.sent_at),
        )
        .where(col(OutboxMessage.activity_id).in_(ids))
        .order_by(col(OutboxMessage.id))
    ):
        if activity_id is None:
            continue
        weight = rank.get(status, 1)
        shown = OutboxStatus.PENDING if status == OutboxStatus.SENDING else status
        before = found.get(activity_id)
        if before is not None and weight < before[0]:
            continue
        sent = iso(sent_at, zone) if sent_at is not None else None
        if before is not None and weight == before[0] and before[1].sent_at and sent:
            sent = max(sent, before[1].sent_at)
        found[activity_id] = (
            weight,
            DeliveryView(
                status=str(shown),
                error=None if shown == OutboxStatus.SENT else error,
                attempts=max(attempts, before[1].attempts if before else 0),
                sent_at=sent,
            ),
        )
    return {activity_id: entry for activity_id, (_weight, entry) in found.items()}


def activity_marks(activity: ActivityView) -> list[str]:
    """What sets a mail activity apart, in the user's language: automatic mail, a third
    party's message, a reused Message-ID, a follow-up of another ticket, a mail that
    could not be delivered."""
    details: dict[str, Any] = activity.details or {}
    marks: list[str] = []
    automatic = activity.automatic or details.get("automatic")
    if automatic == "bounce":
        marks.append(_("bounce"))
    elif automatic == "auto_reply":
        marks.append(_("automatic reply"))
    elif automatic == "list":
        marks.append(_("list mail"))
    elif automatic:
        marks.append(_("automatic mail"))
    if activity.third_party or details.get("third_party"):
        marks.append(_("from a third party"))
    if details.get("reused_message_id"):
        marks.append(_("reused Message-ID"))
    if details.get("moved_from"):
        marks.append(_("from #{number}").format(number=details["moved_from"]))
    if details.get("follow_up_of"):
        marks.append(_("follow-up of #{number}").format(number=details["follow_up_of"]))
    delivery = activity.delivery if activity.direction == "out" else None
    if delivery is not None and delivery.status == OutboxStatus.FAILED:
        error = delivery.error
        marks.append(
            _("not delivered: {reason}").format(reason=error) if error else _("not delivered")
        )
    return marks


def _contact_addresses(session: Session, ids: set[int | None]) -> dict[int, str]:
    clean = {i for i in ids if i is not None}
    return primary_addresses(session, clean)


def ticket_watchers(session: Session, ticket: Ticket) -> list[WatcherView]:
    rows = session.execute(
        select(Watcher, col(User.login), col(Group.name))
        .outerjoin(User, col(User.id) == Watcher.user_id)
        .outerjoin(Group, col(Group.id) == Watcher.group_id)
        .where(col(Watcher.ticket_id) == ticket.id)
        .order_by(col(Watcher.id))
    ).all()
    return [
        WatcherView(user=login) if login is not None else WatcherView(group=group)
        for _watcher, login, group in rows
    ]


def contact_view(session: Session, contact: Contact | None) -> ContactView | None:
    if contact is None:
        return None
    organization = (
        session.get(Organization, contact.organization_id) if contact.organization_id else None
    )
    addresses = primary_addresses(session, {contact.id} if contact.id else set())
    return ContactView(
        name=contact.name,
        address=addresses.get(contact.id or 0),
        kind=contact.kind,
        organization=organization.name if organization else None,
    )


def contact_json(session: Session, contact: Contact | None) -> dict[str, Any] | None:
    view = contact_view(session, contact)
    return None if view is None else view.model_dump(mode="json")


def ticket_detail(session: Session, actor: User, ticket: Ticket, zone: tzinfo) -> TicketDetail:
    """The whole ticket as ``tix ticket show --json`` gives it."""
    from tix.core.services import alarms, files, times

    require_see(session, actor, ticket)
    owner = session.get(User, ticket.owner_id)
    creator: str | None = None
    if ticket.creator_user_id is not None:
        creator_user = session.get(User, ticket.creator_user_id)
        creator = creator_user.login if creator_user else None
    elif ticket.creator_contact_id is not None:
        creator = _contact_addresses(session, {ticket.creator_contact_id}).get(
            ticket.creator_contact_id
        )
    channel = session.get(Channel, ticket.channel_id) if ticket.channel_id else None
    project = session.get(Project, ticket.project_id) if ticket.project_id else None
    account = session.get(MailAccount, ticket.account_id) if ticket.account_id else None
    customer = session.get(Contact, ticket.customer_id) if ticket.customer_id else None
    activities = ticket_activities(session, ticket, zone)
    first = next((a for a in activities if a.id == ticket.first_activity_id), None)
    return TicketDetail(
        number=ticket.number,
        kind=ticket.kind,
        status=ticket.status,
        subject=ticket.subject,
        priority=ticket.priority,
        channel=channel.name if channel else None,
        owner=owner.login if owner else None,
        creator=creator,
        customer=contact_view(session, customer),
        project=project.name if project else None,
        categories=[
            name
            for name in session.execute(
                select(col(Category.name))
                .join(TicketCategory, col(TicketCategory.category_id) == Category.id)
                .where(col(TicketCategory.ticket_id) == ticket.id)
                .order_by(Category.name)
            ).scalars()
        ],
        color=ticket.color,
        origin=ticket.origin,
        form_values=ticket.form_values or {},
        account=account.name if account else None,
        version=ticket.version,
        created_at=iso(ticket.created_at, zone),
        updated_at=iso(ticket.updated_at, zone),
        first_message=first,
        activities=activities,
        watchers=ticket_watchers(session, ticket),
        times=[TicketTimeView(**entry) for entry in times.ticket_times(session, ticket)],
        files=_files(session, files.ticket_files(session, ticket), zone),
        alarms=[
            AlarmView.model_validate(info.to_json(lambda moment: iso(moment, zone)))
            for info in alarms.list_alarms(session, actor, ticket=ticket)
        ],
        sla=_sla(session, ticket, zone),
        **_between_tickets(session, actor, ticket),
    )


def _between_tickets(session: Session, actor: User, ticket: Ticket) -> dict[str, Any]:
    """What ties ``ticket`` to others: the ticket it was merged into, those merged into
    it, and its links to tickets ``actor`` can see."""
    from tix.core.services import links  # not needed for lists: imported when used

    into = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
    merged = session.execute(
        select(col(Ticket.number))
        .where(col(Ticket.merged_into_id) == ticket.id)
        .order_by(col(Ticket.number))
    ).scalars()
    return {
        "merged_into": into.number if into else None,
        "merged": list(merged),
        "links": [
            LinkedTicketView(
                relation=link.relation,
                number=link.number,
                subject=link.subject,
                status=link.status,
            )
            for link in links.ticket_links(session, actor, ticket)
        ],
    }


def _sla(session: Session, ticket: Ticket, zone: tzinfo) -> TicketSlaView | None:
    from tix.core.sla_views import ticket_sla_view  # tickets with SLAs only

    return ticket_sla_view(session, ticket, zone, utcnow())


def _files(session: Session, ticket_files: Sequence[TicketFile], zone: tzinfo) -> list[FileView]:
    """The ticket's files, each with the login of the user who uploaded it."""
    from tix.core.services import files

    logins = files.uploader_logins(session, ticket_files)
    found = []
    for ticket_file in ticket_files:
        data = files.file_json(ticket_file, logins)
        data["created_at"] = iso(ticket_file.created_at, zone)
        found.append(FileView.model_validate(data))
    return found


# --- directory entries ----------------------------------------------------------------


def user_json(user: User, groups: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "login": user.login,
        "name": user.name,
        "email": user.email,
        "admin": user.is_admin,
        "active": user.active,
        "language": user.language or None,
        "timezone": user.timezone or None,
        "notify_by_mail": user.notify_by_mail,
        "hourly_rate": str(user.hourly_rate) if user.hourly_rate is not None else None,
    }
    if groups is not None:
        data["groups"] = groups
    return data


def account_json(account: MailAccount, channel: str | None) -> dict[str, Any]:
    return {
        "name": account.name,
        "address": account.address,
        "display_name": account.display_name or None,
        "imap": (
            {
                "host": account.imap_host,
                "port": account.imap_port,
                "user": account.imap_user,
                "folder": account.imap_folder,
            }
            if account.imap_host
            else None
        ),
        "smtp": (
            {
                "host": account.smtp_host,
                "port": account.smtp_port,
                "user": account.smtp_user or None,
            }
            if account.smtp_host
            else None
        ),
        "tls": account.tls,
        "password_from": (
            f"env:{account.password_env}"
            if account.password_env
            else "command"
            if account.password_cmd
            else None
        ),
        "auth": account.auth,
        "oauth2": _oauth2_json(account) if account.auth == "oauth2" else None,
        "auth_problem": account.auth_problem,
        "auth_problem_at": iso(account.auth_problem_at, UTC),
        "channel": channel,
    }


def _oauth2_json(account: MailAccount) -> dict[str, Any]:
    """How an OAuth2 account gets its tokens; names places, never a token."""
    if account.oauth2_token_cmd:
        return {"token_from": "command"}
    return {
        "token_from": "refresh_token",
        "provider": account.oauth2_provider or None,
        "client_id": account.oauth2_client_id or None,
        "tenant": account.oauth2_tenant or None,
        "refresh_token_from": (
            "command"
            if account.oauth2_refresh_token_cmd
            else account.oauth2_refresh_token_file or "default"
        ),
    }
