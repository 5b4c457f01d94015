"""Read models of documents (quotes, order confirmations, invoices): what
``tix document list --json`` gives and the TUI's documents view reads."""

from __future__ import annotations

from tix.core.read_models.base import ReadModel


class DocumentLineView(ReadModel):
    """One line of a document; amounts as decimal strings (``"80.00"``)."""

    position: int
    description: str
    quantity: str
    unit: str
    unit_price: str


class DocumentView(ReadModel):
    """A document with its totals and lines; ``issued`` is an ISO day."""

    number: str
    type: str
    ticket: int
    customer: str | None
    issued: str
    currency: str
    vat_rate: str
    net: str
    vat: str
    gross: str
    lines: list[DocumentLineView]
