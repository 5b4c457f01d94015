"""Plain input values as people type them."""

from __future__ import annotations

import re

import pytest

from tix.core.errors import Invalid
from tix.core.validation import (
    address_key,
    body,
    email_address,
    name,
    split_addresses,
    split_names,
    subject,
)


def test_addresses_split_outside_quotes_and_brackets() -> None:
    text = 'a@b.de, "Kunde, Karla" <kunde@example.com>; Bob <bob@x.de>,'
    assert split_addresses(text) == [
        "a@b.de",
        '"Kunde, Karla" <kunde@example.com>',
        "Bob <bob@x.de>",
    ]


def test_bare_addresses_may_be_separated_by_spaces() -> None:
    assert split_addresses("a@b.de; c@d.de  e@f.de,") == ["a@b.de", "c@d.de", "e@f.de"]
    assert split_addresses(" ,; ") == []


def test_a_display_name_with_a_comma_keeps_its_address() -> None:
    [part] = split_addresses('"Müller, Hans" <Hans@Example.COM>')
    assert email_address(part) == "Hans@example.com"


def test_a_broken_part_is_refused_not_dropped() -> None:
    parts = split_addresses("a@b.de, kein-at")
    assert parts == ["a@b.de", "kein-at"]
    with pytest.raises(Invalid, match="'kein-at' is not an e-mail address"):
        email_address(parts[1])


def test_names_are_split_at_commas_each_once() -> None:
    assert split_names(" Pumpen, wartung,,Wartung , Ersatz  teil") == [
        "Pumpen",
        "wartung",
        "Ersatz teil",
    ]
    assert split_names(" , ") == []


@pytest.mark.parametrize(
    "value",
    [
        "a@example.com\r\nBcc: evil@example.com",
        "a@example.com\nBcc: evil@example.com",
        "a@example.com, b@example.com",
        "a@example.com; b@example.com",
        "a@example.com b@example.com",
        "Kunde <a@example.com> <b@example.com>",
        "a@example.com\x9b",
        "Kunde\x00 <a@example.com>",
    ],
)
def test_anything_after_the_one_address_is_refused_not_cut_off(value: str) -> None:
    with pytest.raises(Invalid, match="is not one e-mail address: give a single address"):
        email_address(value)


def test_one_address_may_come_with_a_name() -> None:
    assert email_address(" Kunde <a@Example.COM> ") == "a@example.com"
    assert email_address('"Roth, Maria" <Maria@Example.com>') == "Maria@example.com"
    assert email_address("a@example.com (Kunde)") == "a@example.com"
    with pytest.raises(Invalid, match="is not an e-mail address"):
        email_address("<a@example.com> trailing words")


def test_every_spelling_of_an_address_has_one_rate_limit_key() -> None:
    spellings = [
        "victim@example.org",
        "x1 <victim@example.org>",
        "x2 <Victim@EXAMPLE.org>",
        " VICTIM@example.org ",
    ]
    assert {address_key(spelling) for spelling in spellings} == {"victim@example.org"}
    assert address_key(" Not  An Address ") == "not an address"


@pytest.mark.parametrize("control", ["\x07", "\x1b", "\x1f", "\x7f", "\x85", "\x9b", "\x00"])
def test_names_and_subjects_with_control_characters_are_refused(control: str) -> None:
    code = re.escape(f"U+{ord(control):04X}")
    with pytest.raises(Invalid, match=f"the subject contains the control character {code}"):
        subject(f"Pump{control}[2J leaks")
    with pytest.raises(Invalid, match=f"the name contains the control character {code}"):
        name(f"Anna{control}", what="the name")


def test_line_breaks_and_tabs_in_names_become_spaces() -> None:
    assert subject("Pump\r\n\tleaks ") == "Pump leaks"


def test_bodies_lose_control_characters_but_tabs_and_line_breaks() -> None:
    typed = "Hello\x1b[2J\x9b31m\x07 you\tthere\r\nbye\x00\x85"
    assert body(typed, what="the reply") == "Hello[2J31m you\tthere\r\nbye"
    with pytest.raises(Invalid, match="the reply must not be empty"):
        body("\x1b\x9b\x07", what="the reply")
