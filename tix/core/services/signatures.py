"""Signatures: the text under every mail an agent sends from a ticket.

Which one a mail gets (decided as Zammad and FreeScout do, where the signature belongs
to where the mail is sent from):

- the signature of the mail account it is sent from, else that of the ticket's channel
  (the company's footer: name, address, phone);
- the agent's own signature (a personal sign-off: "Kind regards, Anna") goes above it,
  or exactly where the account's or channel's signature says ``{{ agent.signature }}``;
  with neither of those, the agent's own signature alone.

Every reply, solution and new mail ticket is signed, request tickets' replies too;
notes never (they are not mailed). A channel's automatic acknowledgement only when the
signature that applies says so (``acknowledgements``), and without the agent's part.
The signature stands under the agent's text, above a quoted message (as mail programs
put it), after the usual ``-- `` line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import templating, validation
from tix.core.errors import Forbidden, Invalid, NotFound
from tix.core.i18n import _
from tix.core.models import Channel, Contact, MailAccount, Signature, Ticket, User, utcnow
from tix.core.permissions import require_admin

SEPARATOR = "-- "
"""The signature line (RFC 3676): mail programs leave what follows out of a quote."""
MAX_LENGTH = 10_000


@dataclass(frozen=True)
class SignatureOwner:
    """What a signature belongs to: exactly one of the three."""

    channel: Channel | None = None
    account: MailAccount | None = None
    user: User | None = None

    def describe(self) -> str:
        if self.channel is not None:
            return _("channel {name}").format(name=self.channel.name)
        if self.account is not None:
            return _("account {name}").format(name=self.account.name)
        assert self.user is not None
        return _("user {login}").format(login=self.user.login)

    @property
    def kind(self) -> str:
        return "channel" if self.channel else "account" if self.account else "user"

    @property
    def name(self) -> str:
        if self.channel is not None:
            return self.channel.name
        if self.account is not None:
            return self.account.name
        assert self.user is not None
        return self.user.login


def _where(owner: SignatureOwner) -> object:
    if owner.channel is not None:
        return col(Signature.channel_id) == owner.channel.id
    if owner.account is not None:
        return col(Signature.account_id) == owner.account.id
    assert owner.user is not None
    return col(Signature.user_id) == owner.user.id


def _require_may_change(actor: User, owner: SignatureOwner) -> None:
    if owner.user is not None and owner.user.id == actor.id:
        return  # one's own signature
    if owner.user is not None and not actor.is_admin:
        raise Forbidden(
            _("only admins may change another user's signature; {login} is not an admin").format(
                login=actor.login
            )
        )
    require_admin(actor, _("change the signatures of channels and accounts"))


def find_signature(session: Session, owner: SignatureOwner) -> Signature | None:
    return session.execute(select(Signature).where(_where(owner))).scalars().first()  # type: ignore[arg-type]


def get_signature(session: Session, owner: SignatureOwner) -> Signature:
    found = find_signature(session, owner)
    if found is None:
        raise NotFound(
            _("{owner} has no signature: set one with `tix signature set`").format(
                owner=owner.describe()
            )
        )
    return found


def set_signature(
    session: Session,
    actor: User,
    owner: SignatureOwner,
    *,
    body: str,
    acknowledgements: bool | None = None,
) -> Signature:
    """Set (add or replace) the signature of ``owner``. Admins set those of channels and
    accounts; every agent sets their own."""
    _require_may_change(actor, owner)
    body = validation.body(body, what=_("the signature")).strip("\n")
    if len(body) > MAX_LENGTH:
        raise Invalid(_("the signature is longer than {limit} characters").format(limit=MAX_LENGTH))
    templating.check(body, what=_("the signature of {owner}").format(owner=owner.describe()))
    if owner.user is not None and acknowledgements:
        raise Invalid(
            _(
                "acknowledgements are signed by channels and accounts, not by an agent: "
                "leave out --acknowledgements"
            )
        )
    signature = find_signature(session, owner)
    if signature is None:
        signature = Signature(
            channel_id=owner.channel.id if owner.channel else None,
            account_id=owner.account.id if owner.account else None,
            user_id=owner.user.id if owner.user else None,
            body=body,
            acknowledgements=bool(acknowledgements),
        )
        session.add(signature)
    else:
        signature.body = body
        if acknowledgements is not None:
            signature.acknowledgements = acknowledgements
        signature.updated_at = utcnow()
    session.flush()
    return signature


def remove_signature(session: Session, actor: User, owner: SignatureOwner) -> None:
    _require_may_change(actor, owner)
    session.delete(get_signature(session, owner))
    session.flush()


def list_signatures(session: Session) -> list[tuple[SignatureOwner, Signature]]:
    """Every signature with what it belongs to: channels, then accounts, then users."""
    found: list[tuple[SignatureOwner, Signature]] = []
    for signature in session.execute(select(Signature)).scalars():
        if signature.channel_id is not None:
            owner = SignatureOwner(channel=session.get(Channel, signature.channel_id))
        elif signature.account_id is not None:
            owner = SignatureOwner(account=session.get(MailAccount, signature.account_id))
        else:
            owner = SignatureOwner(user=session.get(User, signature.user_id))
        found.append((owner, signature))
    order = {"channel": 0, "account": 1, "user": 2}
    found.sort(key=lambda pair: (order[pair[0].kind], pair[0].name.lower()))
    return found


def signature_for(
    session: Session,
    *,
    account: MailAccount | None,
    channel: Channel | None,
    agent: User | None,
    ticket: Ticket | None = None,
    acknowledgement: bool = False,
    language: str | None = None,
) -> str | None:
    """The rendered signature (Markdown) of a mail sent from ``account`` in ``channel``
    by ``agent``, or ``None`` when none applies."""
    shared = None
    if account is not None:
        shared = find_signature(session, SignatureOwner(account=account))
    if shared is None and channel is not None:
        shared = find_signature(session, SignatureOwner(channel=channel))
    if acknowledgement:
        agent = None
        if shared is None or not shared.acknowledgements:
            return None
    personal = find_signature(session, SignatureOwner(user=agent)) if agent else None
    if shared is None and personal is None:
        return None
    values = templating.values_for(
        session, agent=agent, ticket=ticket, channel=channel, account=account, language=language
    )
    own = ""
    if personal is not None and agent is not None:
        own = templating.render(
            personal.body,
            values,
            what=_("the signature of user {login}").format(login=agent.login),
        ).strip("\n")
        values["agent"]["signature"] = own
    if shared is None:
        return own or None
    owner = (
        SignatureOwner(account=account)
        if shared.account_id is not None and account is not None
        else SignatureOwner(channel=channel)
    )
    text = templating.render(
        shared.body, values, what=_("the signature of {owner}").format(owner=owner.describe())
    ).strip("\n")
    if own and not templating.uses_agent_signature(shared.body):
        text = f"{own}\n\n{text}"
    return text or None


def ticket_signature(
    session: Session, agent: User | None, ticket: Ticket, *, account: MailAccount | None = None
) -> str | None:
    """The signature a mail from ``agent`` on ``ticket`` gets (account: the one it is sent
    from, else the ticket's)."""
    channel = session.get(Channel, ticket.channel_id) if ticket.channel_id else None
    if account is None and ticket.account_id is not None:
        account = session.get(MailAccount, ticket.account_id)
    if account is None and channel is not None:
        from tix.core.services.messages import channel_account

        account = channel_account(session, channel)
    customer = session.get(Contact, ticket.customer_id) if ticket.customer_id else None
    return signature_for(
        session,
        account=account,
        channel=channel,
        agent=agent,
        ticket=ticket,
        language=customer.language if customer and customer.language else None,
    )


def _quote_start(lines: list[str]) -> int:
    """The index of the first line of a quote that ends the text, else ``len(lines)``."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    if not end or not lines[end - 1].lstrip().startswith(">"):
        return len(lines)
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    while start < end and not lines[start].strip():
        start += 1
    # "On Monday, Karla wrote:" belongs to the quote.
    before = start
    while before and not lines[before - 1].strip():
        before -= 1
    if before and lines[before - 1].rstrip().endswith(":"):
        start = before - 1
    return start


def signed(body: str, signature: str | None) -> str:
    """``body`` with ``signature`` under the agent's text and above a quoted message."""
    if not signature:
        return body
    lines = body.replace("\r\n", "\n").rstrip("\n").split("\n")
    start = _quote_start(lines)
    text = "\n".join(lines[:start]).rstrip()
    quote = "\n".join(lines[start:]).strip("\n")
    block = f"{SEPARATOR}\n{signature.strip()}"
    parts = [part for part in (text, block, quote) if part]
    return "\n\n".join(parts) + "\n"
