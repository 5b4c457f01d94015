"""Contacts' addresses as the read side shows them: a module of its own, so the ticket
lists (:mod:`tix.core.views`) and one ticket's page (:mod:`tix.core.details`) share it
without one loading the other."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.models import ContactAddress


def primary_addresses(session: Session, contact_ids: set[int]) -> dict[int, str]:
    """Each contact's primary address (else its first), by contact id."""
    if not contact_ids:
        return {}
    found: dict[int, str] = {}
    for contact_id, address in session.execute(
        select(col(ContactAddress.contact_id), col(ContactAddress.address))
        .where(col(ContactAddress.contact_id).in_(contact_ids))
        .order_by(col(ContactAddress.is_primary).desc(), col(ContactAddress.id))
    ):
        found.setdefault(contact_id, address)
    return found
