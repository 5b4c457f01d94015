"""Tell mail written by people from mail written by machines.

tix never answers an automatic mail (auto-replies, bounces, list traffic): two helpdesks
that acknowledge each other's acknowledgements make a mail loop. The rules here are
deliberately narrow. Each one looks at a header or a sender that machines set and people
do not, or at the exact subject lines that mail servers and out-of-office assistants use,
so that a customer's ordinary mail is never mistaken for an automatic one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["LOOP_HEADERS", "Classification", "classify"]

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
