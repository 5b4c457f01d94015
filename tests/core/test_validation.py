"""Plain input values as people type them."""

from __future__ import annotations

import pytest

from tix.core.errors import Invalid
from tix.core.validation import email_address, split_addresses, split_names


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
