"""Tell mail written by people from mail written by machines.

tix never answers an automatic mail (auto-replies, bounces, list traffic): two helpdesks
that acknowledge each other's acknowledgements make a mail loop. The rules here are
deliberately narrow. Each one looks at a header or a sender that machines set and people
do not, or at the exact subject lines that mail servers and out-of-office assistants use,
so that a customer's ordinary mail is never mistaken for an automatic one.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message

__all__ = ["LOOP_HEADERS", "Classification", "DeliveryFailure", "classify", "delivery_failures"]

# Headers (lowercased) that `classify` reads; the parser hands over their decoded values.
LOOP_HEADERS = (
    "auto-submitted",
    "list-id",
    "list-post",
    "list-unsubscribe",
    "mailing-list",
    "precedence",
    "return-path",
    "x-auto-response-suppress",
    "x-autoreply",
    "x-autorespond",
    "x-failed-recipients",
    "x-loop",
    "x-mailing-list",
)


@dataclass(frozen=True)
class Classification:
    auto_submitted: bool
    """An auto-reply, out-of-office notice or other machine-generated mail."""
    bounce: bool
    """A delivery status notification: the mail server reports a message it could not deliver."""
    mailing_list: bool
    """Mail sent to a list or in bulk (newsletters included)."""

    @property
    def is_automatic(self) -> bool:
        return self.auto_submitted or self.bounce or self.mailing_list


# The local parts mail servers send bounces from.
_BOUNCE_SENDERS = frozenset({"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster"})

# Subjects that delivery reports carry (Postfix, Exim, Sendmail, qmail, Exchange, Gmail,
# Domino), matched at the start of the subject.
_BOUNCE_SUBJECT = re.compile(
    r"""^(?:
        undelivered\ mail\ returned\ to\ sender
      | delivery\ status\ notification\ \((?:failure|delay)\)
      | mail\ delivery\ failed
      | returned\ mail:
      | undeliverable:
      | undeliverable\ mail
      | delivery\ failure:
      | delivery\ has\ failed
      | failure\ notice$
      | warning:\ could\ not\ send\ message
      | unzustellbar:
      | nicht\ zustellbar:
      | non\ remis\ :
      | message\ not\ delivered
      | mail\ system\ error\ -\ returned\ mail
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Out-of-office and auto-reply subjects. Each phrase must be followed by a colon (how the
# assistants prefix the original subject) or end the subject, so a customer asking about
# "out of office hours" is not caught.
_AUTO_REPLY_SUBJECT = re.compile(
    r"""^(?:
        automatische\ antwort
      | automatic\ reply
      | auto(?:matic)?[-\ ]?(?:reply|response)
      | out\ of\ (?:the\ )?office(?:\ auto[-\ ]?reply)?
      | abwesenheitsnotiz
      | abwesenheitsmeldung
      | abwesend
      | r[ée]ponse\ automatique
      | absence\ du\ bureau
      | respuesta\ autom[áa]tica
      | risposta\ automatica
      | automatisch\ antwoord
      | autosvar
      | automaattinen\ vastaus
    )\s*(?::|$)""",
    re.IGNORECASE | re.VERBOSE,
)

_SUPPRESS_VALUES = frozenset({"all", "oof", "autoreply"})


def _first_word(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def classify(
    headers: Mapping[str, Sequence[str]],
    *,
    sender: str | None,
    subject: str,
    content_type: str,
    report_type: str | None,
    has_delivery_status: bool,
) -> Classification:
    """Classify a mail from its top-level headers and structure.

    `headers` maps lowercased header names (at least those in `LOOP_HEADERS`) to their
    decoded values; `sender` is the sender's bare address; `content_type` is the
    top-level ``type/subtype``, `report_type` the ``report-type`` parameter of a
    ``multipart/report``; `has_delivery_status` tells whether the mail carries a
    ``message/delivery-status`` part.
    """

    def values(name: str) -> Sequence[str]:
        return headers.get(name, ())

    local_part = (sender or "").rpartition("@")[0].lower()
    precedence = {_first_word(value) for value in values("precedence")}

    bounce = (
        has_delivery_status
        or (content_type == "multipart/report" and report_type == "delivery-status")
        or bool(values("x-failed-recipients"))
        or local_part in _BOUNCE_SENDERS
        or bool(_BOUNCE_SUBJECT.match(subject))
    )

    auto_submitted = (
        any(_first_word(value) != "no" for value in values("auto-submitted"))
        or any(_first_word(value) not in ("no", "false", "0") for value in values("x-autoreply"))
        or bool(values("x-autorespond"))
        or bool(values("x-loop"))
        or "auto_reply" in precedence
        or any(
            _SUPPRESS_VALUES.intersection(part.strip().lower() for part in value.split(","))
            for value in values("x-auto-response-suppress")
        )
        or any(value.replace(" ", "") == "<>" for value in values("return-path"))
        or (content_type == "multipart/report" and report_type == "disposition-notification")
        or bool(_AUTO_REPLY_SUBJECT.match(subject))
    )

    mailing_list = (
        bool(values("list-id"))
        or bool(values("list-unsubscribe"))
        or bool(values("list-post"))
        or bool(values("mailing-list"))
        or bool(values("x-mailing-list"))
        or bool(precedence & {"bulk", "junk", "list"})
    )

    return Classification(auto_submitted=auto_submitted, bounce=bounce, mailing_list=mailing_list)


@dataclass(frozen=True)
class DeliveryFailure:
    """One recipient a delivery status notification reports as failed for good."""

    recipient: str
    """The address the mail could not be delivered to (``""`` when the report names none)."""
    status: str
    """The RFC 3464 status code, such as ``5.1.1``; ``""`` when missing."""
    diagnostic: str
    """What the receiving server said, such as ``550 5.1.1 User unknown``; may be empty."""

    def reason(self) -> str:
        """``kunde@example.com: 550 5.1.1 User unknown`` for people to read."""
        said = self.diagnostic or self.status
        if self.recipient and said:
            return f"{self.recipient}: {said}"
        return self.recipient or said


# Subjects of reports that a mail is only late, not lost (no DSN part to say so).
_DELAY_SUBJECT = re.compile(
    r"delay|delayed|warning|verz[öo]gert|not\s+yet\s+been\s+delivered", re.IGNORECASE
)
_MAX_PARTS = 200


def delivery_failures(raw: bytes, *, subject: str = "") -> tuple[DeliveryFailure, ...] | None:
    """What a bounce reports as undeliverable, read from its ``message/delivery-status``
    part (RFC 3464): the recipients whose ``Action`` is ``failed``.

    Returns ``None`` when the report tells of no failure (only delays, relays or
    successful deliveries; or a report without a status part whose ``subject`` speaks
    of a delay), and an empty tuple for a report without a status part otherwise (an
    old-style bounce that says in words what went wrong).
    """
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:
        return None
    reports: list[Message] = []
    for count, part in enumerate(message.walk()):
        if count > _MAX_PARTS:
            break
        if part.get_content_type() == "message/delivery-status":
            reports.append(part)
    if not reports:
        return None if _DELAY_SUBJECT.search(subject) else ()
    failures: list[DeliveryFailure] = []
    for report in reports:
        for fields in _status_blocks(report):
            if fields.get("action", "").split(";")[0].strip().lower() != "failed":
                continue
            failures.append(
                DeliveryFailure(
                    recipient=_address_field(
                        fields.get("final-recipient") or fields.get("original-recipient", "")
                    ),
                    status=fields.get("status", "").split()[0] if fields.get("status") else "",
                    diagnostic=_address_field(fields.get("diagnostic-code", "")),
                )
            )
    return tuple(failures) or None


def _status_blocks(report: Message) -> list[dict[str, str]]:
    """The field blocks of a delivery-status part (the message's, then one per recipient),
    each as lowercased names to unfolded values."""
    payload = report.get_payload()
    if isinstance(payload, list):
        texts = [str(block) for block in payload]
    else:
        data = report.get_payload(decode=True)
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(payload)
        texts = re.split(r"\r?\n[ \t]*\r?\n", text)
    blocks = []
    for text in texts:
        fields: dict[str, str] = {}
        name = ""
        for line in text.splitlines():
            if line[:1] in (" ", "\t") and name:
                fields[name] += " " + line.strip()
            elif ":" in line:
                name, _colon, value = line.partition(":")
                name = name.strip().lower()
                fields.setdefault(name, value.strip())
        if fields:
            blocks.append(fields)
    return blocks


def _address_field(value: str) -> str:
    """``rfc822; kunde@example.com`` → ``kunde@example.com`` (the type before ``;`` goes)."""
    kind, semicolon, rest = value.partition(";")
    text = rest if semicolon and " " not in kind.strip() else value
    return " ".join(text.split())[:500]
