"""The web form in a real browser, in English and in German: headless Chromium posts the
HTML of `tix webform snippet` to uvicorn on 127.0.0.1.

The form's own labels are in the language it was made for; tix's answer pages (the
refusal with the field to correct, the thanks) speak that language whatever the
browser prefers, look like the portal, and name fields by their labels.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World
from tests.web.test_portal_browser import page
from tix.core.db import session_scope
from tix.core.services import channels, forms, users

__all__ = ["page"]  # the Chromium fixture shared with the portal's browser test

FORM = [
    {
        "name": "machine",
        "label": "Maschine / Machine",
        "type": "select",
        "required": True,
        "options": ["P-400", "F-220"],
    },
]

TEXTS = {
    # language: what the visitor reads, and the browser's preference (the other one)
    "en": {
        "browser": "de-DE",
        "labels": ("Your name", "E-mail", "Subject", "Message"),
        "send": "Send",
        "refused": "Your request was not sent",
        "problem": "Maschine / Machine: is required",
        "thanks": "Thank you",
        "received": "We received your request as ticket #",
        "back": "Back",
    },
    "de": {
        "browser": "en-US",
        "labels": ("Ihr Name", "E-Mail", "Betreff", "Nachricht"),
        "send": "Senden",
        "refused": "Ihre Anfrage wurde nicht gesendet",
        "problem": "Maschine / Machine: ist erforderlich",
        "thanks": "Vielen Dank",
        "received": "Wir haben Ihre Anfrage als Ticket #",
        "back": "Zurück",
    },
}


@pytest.fixture
def web_support(world: World) -> None:
    with session_scope(world.engine, write=True) as session:
        anna = users.get_user(session, "anna")
        support = channels.get_channel(session, "Support")
        channels.update_channel(session, anna, channel=support, web=True)
        forms.set_form(session, anna, channel=support, fields=FORM)


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_form_and_its_answers_speak_the_forms_language(
    live_server: str, web_support: None, page: Any, language: str
) -> None:
    from playwright.sync_api import expect

    from tix.web.snippet import snippet

    texts = TEXTS[language]
    html = snippet(
        base_url=live_server,
        channel="Support",
        form=forms.check_definition(FORM),
        language=language,
    )
    # The company's page, on tix's own address (always allowed to post).
    site = f"{live_server}/site/contact.html"
    page.context.set_extra_http_headers({"Accept-Language": texts["browser"]})
    page.route(
        site,
        lambda route: route.fulfill(
            content_type="text/html; charset=utf-8",
            body=f"<!doctype html><html><body>{html}</body></html>",
        ),
    )
    page.goto(site)
    for label in texts["labels"]:
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    page.get_by_label(texts["labels"][0], exact=True).fill("Maria Roth")
    page.get_by_label(texts["labels"][1], exact=True).fill("maria@roth.example")
    page.get_by_label(texts["labels"][2], exact=True).fill("Pumpe leckt")
    page.get_by_label(texts["labels"][3], exact=True).fill("Die Pumpe in Halle 2 leckt.")
    # A browser that does not check `required` itself: the server names the field.
    page.evaluate("document.querySelectorAll('[required]').forEach(e => e.required = false)")
    page.get_by_role("button", name=texts["send"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(texts["refused"])
    expect(page.get_by_role("alert")).to_contain_text(texts["problem"])
    assert "machine" not in page.get_by_role("alert").inner_text()  # the label, not the key
    page.wait_for_load_state("load")  # the style sheet is in
    assert page.evaluate("document.documentElement.lang") == language
    # The portal's style sheet: its background colour and no default body margin.
    assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"
    assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == (
        "rgb(244, 246, 249)"
    )

    page.go_back()
    page.get_by_label("Maschine / Machine").select_option("P-400")
    page.get_by_role("button", name=texts["send"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["thanks"])
    expect(page.get_by_role("status")).to_contain_text(texts["received"] + "1001")
    expect(page.get_by_role("link", name=texts["back"])).to_have_attribute("href", site)
    assert page.evaluate("document.documentElement.lang") == language
    page.wait_for_load_state("load")
    assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"
