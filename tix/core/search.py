"""Full-text search over ticket subjects and activity bodies: one function for both databases.

SQLite keeps a contentless FTS5 table with one row per activity (and one per subject)
whose rowid is ``ticket_id << 24 | seq``; walking it by descending rowid walks the
matching tickets newest first, so a page of results stops early even for a word that
half the tickets contain. PostgreSQL keeps one tsvector per ticket (subject and every
body), appended to with each activity and rebuilt when the subject changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from tix.core.errors import Invalid
from tix.core.i18n import _

SEQ_BITS = 24
"""Activities per ticket the SQLite rowid can tell apart (16 million)."""
MAX_INDEXED_CHARS = 200_000
"""Longer bodies are indexed up to here (a mail with a pasted log, say)."""
_PG_DOCUMENT_LIMIT = 900_000
"""Bytes of tsvector per ticket after which new text is no longer appended (PG caps at 1 MB)."""

_WORD = re.compile(r"\w+\*?", re.UNICODE)


def _terms(query: str) -> list[tuple[str, bool]]:
    """Words of a query, each with whether it ends in ``*`` (prefix match)."""
    terms = []
    for match in _WORD.finditer(query):
        word = match.group(0)
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if word:
            terms.append((word.lower(), prefix))
    if not terms:
        raise Invalid(
            _("search text {query!r} has no words to search for: give at least one word").format(
                query=query
            )
        )
    return terms


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _rowid(ticket_id: int, seq: int) -> int:
    return (ticket_id << SEQ_BITS) | seq


_DEFERRED = "tix_search_deferred"
"""``session.info`` key of the index writes :func:`deferred` holds back."""


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Hold back the index writes made inside the block and write them, in order, at its
    end: one executemany per run of like statements instead of one round trip each (a
    batch of received mail). Nothing is written when the block raises; the caller rolls
    the rest back with it. Searching inside the block does not see the held writes."""
    if _DEFERRED in session.info:  # already held by an outer block
        yield
        return
    held: list[tuple[str, dict[str, Any]]] = []
    session.info[_DEFERRED] = held
    try:
        yield
    finally:
        del session.info[_DEFERRED]
    start = 0
    while start < len(held):
        end = start
        while end < len(held) and held[end][0] == held[start][0]:
            end += 1
        session.execute(text(held[start][0]), [params for _sql, params in held[start:end]])
        start = end


def _write(session: Session, sql: str, params: dict[str, Any]) -> None:
    held = session.info.get(_DEFERRED)
    if held is not None:
        held.append((sql, params))
    else:
        session.execute(text(sql), params)


def index_activity(session: Session, *, ticket_id: int, seq: int, body: str) -> None:
    """Make an activity's body findable."""
    body = body[:MAX_INDEXED_CHARS]
    if not body.strip():
        return
    if _is_sqlite(session):
        _write(
            session,
            "INSERT INTO search_index (rowid, text) VALUES (:rowid, :body)",
            {"rowid": _rowid(ticket_id, seq), "body": body},
        )
        return
    _write(session, _PG_APPEND, {"ticket_id": ticket_id, "body": body})


_PG_APPEND = (
    "INSERT INTO ticket_search (ticket_id, document) "
    "VALUES (:ticket_id, to_tsvector('simple', :body)) "
    "ON CONFLICT (ticket_id) DO UPDATE SET document = CASE "
    f"WHEN pg_column_size(ticket_search.document) > {_PG_DOCUMENT_LIMIT} "
    "THEN ticket_search.document "
    "ELSE ticket_search.document || excluded.document END"
)
"""A text appended to a ticket's document (made when the ticket has none yet)."""


def index_subject(session: Session, *, ticket_id: int, subject: str, old: str | None) -> None:
    """Make a ticket's (new) subject findable; ``old`` is the subject it replaces."""
    if _is_sqlite(session):
        rowid = _rowid(ticket_id, 0)
        if old is not None:
            _write(
                session,
                "INSERT INTO search_index (search_index, rowid, text) "
                "VALUES ('delete', :rowid, :old)",
                {"rowid": rowid, "old": old},
            )
        _write(
            session,
            "INSERT INTO search_index (rowid, text) VALUES (:rowid, :body)",
            {"rowid": rowid, "body": subject},
        )
        return
    if old is None:
        # A new ticket's subject comes before its bodies, so it starts the document: the
        # same statement as a body's (a batch of new tickets writes them in one go).
        _write(session, _PG_APPEND, {"ticket_id": ticket_id, "body": subject})
        return
    # A tsvector cannot forget words: rebuild it from the new subject and the bodies.
    _write(
        session,
        (
            "UPDATE ticket_search SET document = to_tsvector('simple', :subject) || "
            "coalesce((SELECT to_tsvector('simple', string_agg(left(body, :limit), ' ' "
            "ORDER BY seq)) FROM activities WHERE ticket_id = :ticket_id), ''::tsvector) "
            "WHERE ticket_id = :ticket_id"
        ),
        {"ticket_id": ticket_id, "subject": subject, "limit": MAX_INDEXED_CHARS},
    )


def move_activities(
    session: Session,
    *,
    moved: Sequence[tuple[int, int, int, int, str]],
    subjects: Sequence[tuple[int, str]],
) -> None:
    """Keep activities findable that moved to another ticket (a merge, a split):
    ``moved`` holds ``(old_ticket_id, old_seq, new_ticket_id, new_seq, body)``;
    ``subjects`` the ``(ticket_id, subject)`` of every ticket that lost or gained some."""
    if _is_sqlite(session):
        for old_ticket, old_seq, new_ticket, new_seq, body in moved:
            body = body[:MAX_INDEXED_CHARS]
            if not body.strip():
                continue
            session.execute(
                text(
                    "INSERT INTO search_index (search_index, rowid, text) "
                    "VALUES ('delete', :rowid, :body)"
                ),
                {"rowid": _rowid(old_ticket, old_seq), "body": body},
            )
            index_activity(session, ticket_id=new_ticket, seq=new_seq, body=body)
        return
    for ticket_id, subject in subjects:
        # Rebuilt from the subject and the bodies the ticket has now.
        index_subject(session, ticket_id=ticket_id, subject=subject, old=subject)


def index_many(
    session: Session,
    *,
    subjects: Sequence[tuple[int, str]],
    bodies: Sequence[tuple[int, int, str]],
) -> None:
    """Make new tickets findable at once: their subjects and their activities' bodies
    (``(ticket_id, seq, body)``), as :func:`index_subject` and :func:`index_activity`
    would one by one. The tickets must not be indexed yet (a bulk load)."""
    kept = [
        (ticket_id, seq, body[:MAX_INDEXED_CHARS])
        for ticket_id, seq, body in bodies
        if body[:MAX_INDEXED_CHARS].strip()
    ]
    if _is_sqlite(session):
        rows = [{"rowid": _rowid(ticket_id, 0), "body": subject} for ticket_id, subject in subjects]
        rows += [{"rowid": _rowid(ticket_id, seq), "body": body} for ticket_id, seq, body in kept]
        if rows:
            session.execute(
                text("INSERT INTO search_index (rowid, text) VALUES (:rowid, :body)"), rows
            )
        return
    texts: dict[int, list[str]] = {ticket_id: [] for ticket_id, _subject in subjects}
    for ticket_id, _seq, body in sorted(kept, key=lambda row: (row[0], row[1])):
        texts.setdefault(ticket_id, []).append(body)
    documents = [
        {"ticket_id": ticket_id, "subject": subject, "bodies": " ".join(texts.pop(ticket_id, []))}
        for ticket_id, subject in subjects
    ]
    if documents:
        session.execute(
            text(
                "INSERT INTO ticket_search (ticket_id, document) VALUES (:ticket_id, "
                "to_tsvector('simple', :subject) || to_tsvector('simple', :bodies))"
            ),
            documents,
        )


def matching_ticket_ids(
    session: Session, query: str, *, below: int | None = None, batch: int = 500
) -> Iterator[int]:
    """Ids of the tickets matching every word of ``query``, highest id first.

    ``below`` continues after a previous page. The iterator reads lazily: a caller
    that stops after one page pays for one page.
    """
    terms = _terms(query)
    if _is_sqlite(session):
        yield from _sqlite_matches(session, terms, below, batch)
    else:
        yield from _postgres_matches(session, terms, below, batch)


def _sqlite_matches(
    session: Session, terms: list[tuple[str, bool]], below: int | None, batch: int
) -> Iterator[int]:
    # A ticket's activities may each match one word: check every word per ticket.
    if len(terms) > 1:
        yield from _sqlite_multi_word(session, terms, below, batch)
        return
    upper = _rowid(below, 0) if below is not None else None
    last: int | None = None
    while True:
        rows = (
            session.execute(
                text(
                    "SELECT rowid FROM search_index WHERE search_index MATCH :match "
                    + ("AND rowid < :upper " if upper is not None else "")
                    + "ORDER BY rowid DESC LIMIT :batch"
                ),
                {"match": _fts_phrase(terms[0]), "upper": upper, "batch": batch},
            )
            .scalars()
            .all()
        )
        for rowid in rows:
            ticket_id = rowid >> SEQ_BITS
            if ticket_id != last:
                last = ticket_id
                yield ticket_id
        if len(rows) < batch:
            return
        upper = rows[-1]


def _sqlite_multi_word(
    session: Session, terms: list[tuple[str, bool]], below: int | None, batch: int
) -> Iterator[int]:
    """Tickets where every word occurs somewhere in the subject or an activity.

    Walks the rarest-looking (longest) word's matches and checks the other words
    ticket by ticket within the same rowid range.
    """
    ordered = sorted(terms, key=lambda term: -len(term[0]))
    lead, rest = ordered[0], ordered[1:]
    for ticket_id in _sqlite_matches(session, [lead], below, batch):
        low, high = _rowid(ticket_id, 0), _rowid(ticket_id + 1, 0)
        if all(
            session.execute(
                text(
                    "SELECT 1 FROM search_index WHERE search_index MATCH :match "
                    "AND rowid >= :low AND rowid < :high LIMIT 1"
                ),
                {"match": _fts_phrase(term), "low": low, "high": high},
            ).first()
            for term in rest
        ):
            yield ticket_id


def _fts_phrase(term: tuple[str, bool]) -> str:
    word, prefix = term
    return '"' + word.replace('"', '""') + '"' + ("*" if prefix else "")


_PG_WINDOW = 1_000
"""Newest documents read at first, in id order (see :func:`_postgres_matches`)."""
_PG_DENSE = 100
"""A window with at least one match per this many documents is walked on in id order."""


def _postgres_matches(
    session: Session, terms: list[tuple[str, bool]], below: int | None, batch: int
) -> Iterator[int]:
    # One document per ticket holds its subject and every body: one query for all words.
    # The planner cannot tell how many tickets match (a word it has no statistics of is
    # guessed at 0.5%), and its guess picks the wrong way for one kind of word: walking
    # the key backwards stops after a page when many match but reads every document of a
    # million when a few do; the GIN index finds a few at once but rechecks every match
    # when many do. So: walk windows of the newest documents while they hold matches
    # enough, then let the GIN index find the rest.
    query = " & ".join(_pg_lexeme(word) + (":*" if prefix else "") for word, prefix in terms)
    upper = below
    window = _PG_WINDOW
    while True:
        hits, lowest, read = session.execute(
            text(
                "SELECT array_agg(ticket_id ORDER BY ticket_id DESC) FILTER (WHERE "
                "document @@ to_tsquery('simple', :query)), min(ticket_id), count(*) "
                "FROM (SELECT ticket_id, document FROM ticket_search"
                + (" WHERE ticket_id < :upper" if upper is not None else "")
                + " ORDER BY ticket_id DESC LIMIT :window) AS newest"
            ),
            {"query": query, "upper": upper, "window": window},
        ).one()
        yield from hits or ()
        if read < window:
            return
        upper = lowest
        if len(hits or ()) * _PG_DENSE < read:
            break
        window = min(window * 2, 8 * _PG_WINDOW)
    while True:
        # Materialized: no ORDER BY to tempt the planner into the backward walk. The bound
        # is an expression: as a plain column a generic plan (psycopg prepares what runs 5
        # times) intersects the matches with every id below it, read from the primary key.
        rows = (
            session.execute(
                text(
                    "WITH found AS MATERIALIZED (SELECT ticket_id FROM ticket_search "
                    "WHERE document @@ to_tsquery('simple', :query) AND ticket_id + 0 < :upper) "
                    "SELECT ticket_id FROM found ORDER BY ticket_id DESC LIMIT :batch"
                ),
                {"query": query, "upper": upper, "batch": batch},
            )
            .scalars()
            .all()
        )
        yield from rows
        if len(rows) < batch:
            return
        upper = rows[-1]


def _pg_lexeme(word: str) -> str:
    """A word quoted for to_tsquery (no operators can slip through)."""
    return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'"
