"""Contacts (customers and suppliers), their addresses and organisations."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.db import database_error, numbering_engine
from tix.core.errors import Conflict, Invalid, Malformed, NotFound
from tix.core.i18n import _, use_language
from tix.core.models import Contact, ContactAddress, ContactKind, Organization, User


def find_contact(session: Session, address: str) -> Contact | None:
    """The contact owning ``address`` (any of its addresses, case-insensitive)."""
    return session.execute(
        select(Contact)
        .join(ContactAddress, col(ContactAddress.contact_id) == Contact.id)
        .where(col(ContactAddress.address) == address.strip().lower())
    ).scalar_one_or_none()


def get_contact(session: Session, address: str) -> Contact:
    address = validation.email_address(address)
    contact = find_contact(session, address)
    if contact is None:
        raise NotFound(
            _(
                "no contact with the address {address}: add it with "
                "`tix contact add {address} --name NAME`"
            ).format(address=address)
        )
    return contact


def primary_address(session: Session, contact: Contact) -> str:
    rows = (
        session.execute(
            select(col(ContactAddress.address))
            .where(col(ContactAddress.contact_id) == contact.id)
            .order_by(col(ContactAddress.is_primary).desc(), col(ContactAddress.id))
        )
        .scalars()
        .all()
    )
    if not rows:
        raise Invalid(
            _(
                "contact {name!r} has no e-mail address: add one with `tix contact add ADDR "
                "--name NAME`"
            ).format(name=contact.name)
        )
    return rows[0]


def addresses_of(session: Session, contact: Contact) -> list[str]:
    return list(
        session.execute(
            select(col(ContactAddress.address))
            .where(col(ContactAddress.contact_id) == contact.id)
            .order_by(col(ContactAddress.is_primary).desc(), col(ContactAddress.id))
        )
        .scalars()
        .all()
    )


def _organization(session: Session, name: str) -> Organization:
    name = validation.name(name, what=_("the organisation"))
    found = session.execute(
        select(Organization).where(func.lower(Organization.name) == name.lower())
    ).scalar_one_or_none()
    if found is not None:
        return found
    organization = Organization(name=name)
    session.add(organization)
    session.flush()
    return organization


def _kind(kind: str) -> str:
    try:
        return ContactKind(kind.strip().lower()).value
    except ValueError:
        raise Malformed(
            _("unknown contact kind {kind!r}: use customer or supplier").format(kind=kind)
        ) from None


def add_contact(
    session: Session,
    actor: User | None,
    *,
    address: str,
    name: str,
    kind: str = ContactKind.CUSTOMER,
    organization: str | None = None,
) -> Contact:
    """A new contact with ``address`` as its primary address.

    ``actor`` is ``None`` when the system makes the contact (a mail from a stranger).
    """
    address = _free_address(session, address)
    name = validation.name(name, what=_("the contact name"))
    kind = _kind(kind)
    org = _organization(session, organization) if organization else None
    contact = Contact(name=name, kind=kind, organization_id=org.id if org else None)
    session.add(contact)
    session.flush()
    assert contact.id is not None
    session.add(ContactAddress(contact_id=contact.id, address=address, is_primary=True))
    session.flush()
    return contact


def update_contact(
    session: Session,
    actor: User | None,
    contact: Contact,
    *,
    name: str | None = None,
    kind: str | None = None,
    organization: str | None = None,
    language: str | None = None,
) -> Contact:
    """Change what is given; an empty ``organization`` or ``language`` removes it."""
    # Every value is checked before anything changes.
    name = validation.name(name, what=_("the contact name")) if name is not None else None
    kind = _kind(kind) if kind is not None else None
    language = validation.language(language) if language is not None else None
    if organization is not None:
        org = _organization(session, organization) if organization.strip() else None
        contact.organization_id = org.id if org else None
    if name is not None:
        contact.name = name
    if kind is not None:
        contact.kind = kind
    if language is not None:
        contact.language = language
    session.add(contact)
    session.flush()
    return contact


def speaking(contact: Contact | None) -> AbstractContextManager[None]:
    """Text made inside the block is in the contact's language, where one is set."""
    if contact is None or not contact.language:
        return nullcontext()
    return use_language(contact.language)


def add_contact_address(
    session: Session, actor: User | None, *, contact: Contact, address: str
) -> None:
    """Give ``contact`` one more address."""
    address = _free_address(session, address)
    assert contact.id is not None
    session.add(ContactAddress(contact_id=contact.id, address=address, is_primary=False))
    session.flush()


def _free_address(session: Session, address: str) -> str:
    address = validation.email_address(address).lower()
    if find_contact(session, address) is not None:
        raise Conflict(
            _(
                "the address {address} belongs to a contact already: see `tix contact list "
                "--search {address}`"
            ).format(address=address)
        )
    return address


def find_contacts(session: Session, addresses: Sequence[str]) -> dict[str, Contact]:
    """The contacts owning ``addresses``, by lower-cased address, in one query per 500
    (a batch of received mail); addresses nobody has are left out."""
    wanted = sorted({address.strip().lower() for address in addresses})
    found: dict[str, Contact] = {}
    for start in range(0, len(wanted), 500):
        for address, contact in session.execute(
            select(col(ContactAddress.address), Contact)
            .join(Contact, col(Contact.id) == ContactAddress.contact_id)
            .where(col(ContactAddress.address).in_(wanted[start : start + 500]))
        ).all():
            found[address] = contact
    return found


def contact_for_address(session: Session, address: str, *, name: str = "") -> Contact:
    """The contact with ``address``, made when there is none (mail from a stranger)."""
    address = validation.email_address(address)
    contact = find_contact(session, address)
    if contact is not None:
        return contact
    return new_contact(session, address, name=name)


def new_contact(session: Session, address: str, *, name: str = "", apart: bool = False) -> Contact:
    """A customer contact for ``address`` (checked already), which no contact has: named
    ``name``, else after the address's local part (``apart``: see :func:`new_contacts`)."""
    return new_contacts(session, [(address, name)], apart=apart)[0]


def new_contacts(
    session: Session, wanted: Sequence[tuple[str, str]], *, apart: bool = False
) -> list[Contact]:
    """:func:`new_contact` for many ``(address, name)`` at once (one insert for all), in
    the caller's transaction: what it refuses afterwards takes the contacts back too.

    ``apart`` (received mail): on PostgreSQL they are made in a short transaction apart,
    committed at once, and an address another process made meanwhile is taken as it is:
    two workers reading mail from the same new sender neither wait for each other's
    transaction nor fail it (the second insert would wait for the first transaction and
    then break the whole batch). A transaction that rolls back afterwards leaves the
    contact, as mail from a stranger that tix has seen. Not for anything a person types
    (a form, a new ticket): refused input must leave nothing behind.
    """
    engine = numbering_engine(session.get_bind()) if apart else None
    if engine is not None:
        return _new_contacts_apart(session, engine, wanted)
    made = [
        Contact(
            name=(" ".join(name.split()) or address.split("@", 1)[0])[:200],
            kind=ContactKind.CUSTOMER,
        )
        for address, name in wanted
    ]
    session.add_all(made)
    session.flush()
    for contact, (address, _name) in zip(made, wanted, strict=True):
        assert contact.id is not None
        session.add(ContactAddress(contact_id=contact.id, address=address.lower(), is_primary=True))
    return made


def _new_contacts_apart(
    session: Session, apart: Engine, wanted: Sequence[tuple[str, str]]
) -> list[Contact]:
    from sqlalchemy.dialects.postgresql import insert as pg_insert  # PostgreSQL only

    addresses = [address.lower() for address, _name in wanted]
    names = dict(zip(addresses, (name for _address, name in wanted), strict=True))
    try:
        with Session(apart) as own, own.begin():
            known = set(find_contacts(own, addresses))
            missing = sorted(set(addresses) - known)  # one order in every process
            made = [
                Contact(
                    name=(" ".join(names[address].split()) or address.split("@", 1)[0])[:200],
                    kind=ContactKind.CUSTOMER,
                )
                for address in missing
            ]
            own.add_all(made)
            own.flush()
            if made:
                taken = set(
                    own.execute(
                        pg_insert(ContactAddress)
                        .values(
                            [
                                {"contact_id": contact.id, "address": address, "is_primary": True}
                                for contact, address in zip(made, missing, strict=True)
                            ]
                        )
                        .on_conflict_do_nothing(index_elements=[col(ContactAddress.address)])
                        .returning(col(ContactAddress.address))
                    ).scalars()
                )
                # made by another process meanwhile: theirs counts, ours goes
                unused = [c.id for c, a in zip(made, missing, strict=True) if a not in taken]
                if unused:
                    own.execute(delete(Contact).where(col(Contact.id).in_(unused)))
    except Exception as error:
        translated = database_error(error)
        if translated is not None:
            raise translated from error
        raise
    found = find_contacts(session, addresses)
    return [found[address] for address in addresses]


@dataclass(frozen=True)
class ContactInfo:
    contact: Contact
    addresses: list[str]
    organization: str | None


def list_contacts(
    session: Session, *, search: str | None = None, limit: int | None = None
) -> list[ContactInfo]:
    query = select(Contact).order_by(col(Contact.name), col(Contact.id))
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Contact.name).like(pattern),
                col(Contact.id).in_(
                    select(col(ContactAddress.contact_id)).where(
                        col(ContactAddress.address).like(pattern)
                    )
                ),
                col(Contact.organization_id).in_(
                    select(col(Organization.id)).where(func.lower(Organization.name).like(pattern))
                ),
            )
        )
    if limit:
        query = query.limit(limit)
    contacts = list(session.execute(query).scalars().all())
    ids = [contact.id for contact in contacts]
    addresses: dict[int, list[str]] = {}
    for contact_id, address in session.execute(
        select(col(ContactAddress.contact_id), col(ContactAddress.address))
        .where(col(ContactAddress.contact_id).in_(ids))
        .order_by(col(ContactAddress.is_primary).desc(), col(ContactAddress.id))
    ):
        addresses.setdefault(contact_id, []).append(address)
    organizations: dict[int | None, str] = dict(
        session.execute(select(col(Organization.id), col(Organization.name))).all()
    )
    return [
        ContactInfo(
            contact=contact,
            addresses=addresses.get(contact.id or 0, []),
            organization=organizations.get(contact.organization_id or 0),
        )
        for contact in contacts
    ]
