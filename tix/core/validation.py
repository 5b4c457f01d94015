"""Checks of plain input values, shared by the services."""

from __future__ import annotations

import re

from tix.core.errors import Invalid, Malformed
from tix.core.i18n import _
from tix.core.models import PRIORITY_MAX, PRIORITY_MIN

_LOCAL = re.compile(r"^[^\s@<>()\[\],;:\"]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([^\W_]([\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$", re.UNICODE)
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_ANGLED = re.compile(r"(?P<name>[^<>]*)<(?P<address>[^<>]*)>")
_BARE = re.compile(r"(?P<address>[^\s<>()]+)(?:\s*\([^()<>]*\))?")  # an old "(Name)" may follow
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 control characters (and DEL): none may reach a terminal."""
COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "gray")


def email_address(value: str) -> str:
    """One bare address, lower-cased domain; ``Name <a@b.c>`` is accepted too.

    Anything besides the one address (a second address, text after ``>``, a line
    break with a header behind it) is refused, never cut off."""
    text = value.strip()
    angled = _ANGLED.fullmatch(text)
    bare = _BARE.fullmatch(text)
    if (
        CONTROL.search(text)
        or separator_positions(text)
        or (angled is None and bare is None and text.count("@") > 1)
    ):
        # readable, but breaks the rule of one address: refused, not a usage error
        raise Invalid(
            _(
                "{value!r} is not one e-mail address: give a single address like "
                "name@example.com, with nothing after it"
            ).format(value=value)
        )
    address = ""
    if angled is not None and not _unbalanced_quotes(angled["name"]):
        address = angled["address"].strip()
    elif bare is not None:
        address = bare["address"]
    local, at, domain = address.rpartition("@")
    if not at or not _LOCAL.match(local) or not _DOMAIN.match(domain):
        raise Malformed(
            _("{value!r} is not an e-mail address: write it like name@example.com").format(
                value=value
            )
        )
    return f"{local}@{domain.lower()}"


def _unbalanced_quotes(text: str) -> bool:
    return text.replace("\\\\", "").replace('\\"', "").count('"') % 2 == 1


def address_key(address: str) -> str:
    """The one spelling of ``address`` that rate limits count: the bare address,
    ignoring case (``X <Same@EXAMPLE.org>`` and ``same@example.org`` are one); text
    that is no address counts as itself, ignoring case and outer space."""
    try:
        return email_address(address).casefold()
    except Invalid:
        return " ".join(address.split()).casefold()


def separator_positions(text: str) -> list[int]:
    """Where ``text`` separates addresses: commas or semicolons outside quotes and <>."""
    found: list[int] = []
    quoted = angled = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        elif char in ",;" and not quoted and not angled:
            found.append(index)
    return found


def split_addresses(text: str) -> list[str]:
    """The addresses of a typed list, each as written:
    ``a@b.de, "Kunde, Karla" <k@x.de>; c@d.de e@f.de`` gives four.

    Commas and semicolons separate outside quotes and ``<>``; spaces separate bare
    addresses (a part without quotes or ``<>``), so a display name keeps its commas.
    """
    parts: list[str] = []
    start = 0
    for index in [*separator_positions(text), len(text)]:
        part = text[start:index].strip()
        start = index + 1
        if not part:
            continue
        if '"' in part or "<" in part:
            parts.append(part)
        else:
            parts.extend(part.split())
    return parts


def split_names(text: str) -> list[str]:
    """Names typed with commas between them (categories): inner spaces collapsed,
    each once, ignoring case."""
    found: list[str] = []
    for part in text.split(","):
        name = " ".join(part.split())
        if name and name.casefold() not in {f.casefold() for f in found}:
            found.append(name)
    return found


def language(value: str) -> str:
    """A language code tix speaks, or ``""`` for the default."""
    cleaned = value.strip().lower()
    if cleaned not in ("", "en", "de"):
        raise Malformed(_("unknown language {language!r}: use en or de").format(language=value))
    return cleaned


def login(value: str) -> str:
    value = value.strip()
    if not _LOGIN.match(value):
        raise Malformed(
            _(
                "{value!r} is not a valid login: use lower-case letters, digits, '.', '_' or '-' "
                "(at most 64)"
            ).format(value=value)
        )
    return value


def name(value: str, *, what: str, max_length: int = 200) -> str:
    """A non-empty single-line name of at most ``max_length`` characters; line breaks
    and tabs become spaces, other control characters (C0 and C1 alike) are refused."""
    control = CONTROL.search(value.replace("\t", " ").replace("\r", " ").replace("\n", " "))
    if control is not None:
        raise Invalid(
            _("{what} contains the control character U+{code:04X}: remove it").format(
                what=what, code=ord(control.group())
            )
        )
    cleaned = " ".join(value.split())
    if not cleaned:
        raise Invalid(_("{what} must not be empty").format(what=what))
    if len(cleaned) > max_length:
        raise Invalid(
            _("{what} is too long ({length} characters): at most {limit}").format(
                what=what, length=len(cleaned), limit=max_length
            )
        )
    return cleaned


def subject(value: str) -> str:
    return name(value, what=_("the subject"), max_length=500)


def priority(value: int) -> int:
    if not PRIORITY_MIN <= value <= PRIORITY_MAX:
        raise Malformed(
            _("priority {value} is out of range: use {low} (low) to {high} (very high)").format(
                value=value, low=PRIORITY_MIN, high=PRIORITY_MAX
            )
        )
    return value


def color(value: str) -> str | None:
    """A color mark; ``none`` or empty removes it."""
    cleaned = value.strip().lower()
    if cleaned in ("", "none"):
        return None
    if cleaned not in COLORS:
        raise Malformed(
            _("unknown color {value!r}: use one of {colors}, or none").format(
                value=value, colors=", ".join(COLORS)
            )
        )
    return cleaned


_BODY_CONTROLS = {
    code: None for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\n\r"
}


def without_controls(text: str) -> str:
    """``text`` without control characters but tabs and line breaks (C0 and C1 alike,
    such as an escape sequence's ESC or CSI), so none reaches a terminal."""
    return text.translate(_BODY_CONTROLS)


def body(value: str, *, what: str) -> str:
    """A text as written, :func:`without_controls`; never empty."""
    value = without_controls(value)
    if not value.strip():
        raise Invalid(
            _("{what} must not be empty: give --body TEXT or --body-file FILE").format(what=what)
        )
    return value


def ticket_number(value: str | int) -> int:
    """``1042``, ``#1042`` or ``Ticket#1042`` to 1042."""
    if isinstance(value, int):
        if not 0 <= value < 10**12:
            raise Malformed(
                _("{value!r} is not a ticket number: write it like 1042 or #1042").format(
                    value=value
                )
            )
        return value
    cleaned = value.strip().lstrip("#")
    if cleaned.lower().startswith("ticket#"):
        cleaned = cleaned[len("ticket#") :]
    if not cleaned.isdigit() or len(cleaned) > 12:
        raise Malformed(
            _("{value!r} is not a ticket number: write it like 1042 or #1042").format(value=value)
        )
    return int(cleaned)
