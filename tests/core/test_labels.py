"""Statuses, kinds and priorities are read in the user's language as well as by keyword."""

from __future__ import annotations

import pytest

from tix.core.errors import Invalid
from tix.core.i18n import use_language
from tix.core.labels import parse_priority, parse_status, parse_ticket_kind


@pytest.mark.parametrize(
    ("given", "status"),
    [
        ("open", "open"),
        (" Solved ", "solved"),
        ("offen", "open"),
        ("Gelöst", "solved"),
        ("wartend", "waiting"),
        ("neu", "new"),
        ("geschlossen", "closed"),
    ],
)
def test_a_status_by_keyword_or_german_label(given: str, status: str) -> None:
    with use_language("de"):
        assert parse_status(given) == status


def test_an_unknown_status_names_the_choices_in_the_users_language() -> None:
    with use_language("de"), pytest.raises(Invalid) as refused:
        parse_status("erledigt")
    assert refused.value.message == (
        "unbekannter Status 'erledigt': einen von neu, offen, wartend, gelöst, geschlossen "
        "verwenden"
    )
    with use_language("en"), pytest.raises(Invalid) as refused:
        parse_status("offen")  # German labels are German input only
    assert "use one of new, open, waiting, solved, closed" in refused.value.message


def test_a_kind_and_a_priority_by_keyword_or_german_label() -> None:
    with use_language("de"):
        assert parse_ticket_kind("Anfrage") == "request"
        assert parse_ticket_kind("intern") == "internal"
        assert parse_ticket_kind("mail") == "mail"
        assert parse_priority("sehr hoch") == 9
        assert parse_priority("Niedrig") == 1
        assert parse_priority("low") == 1
        assert parse_priority(" 7 ") == 7
        with pytest.raises(Invalid):
            parse_priority("dringend")
        with pytest.raises(Invalid):
            parse_ticket_kind("Telefon")
