"""The customer portal in a real browser: headless Chromium (Debian's, driven by
Playwright for Python) against uvicorn on 127.0.0.1, with the real argon2 settings.

A customer logs in by the field labels, sees only her tickets, reads the agent's reply
(never the note), answers with a file, opens a new ticket through the channel's form
(first without its required field: the error shows; then with it) and logs out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import CHROMIUM_ARGS
from tests.web.test_portal import KARLA, PASSWORD, Helpdesk, helpdesk, status_of, ticket_state

__all__ = ["helpdesk"]  # the fixture shared with test_portal.py


@pytest.fixture
def page(chromium_path: str) -> Iterator[Any]:
    """A fresh page in headless Chromium; fails the test on script errors and on anything
    the Content-Security-Policy refused (Chromium reports both on the console)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="en-US")
            context.set_default_timeout(10_000)
            opened = context.new_page()
            errors: list[str] = []
            opened.on(
                "console",
                lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
            )
            opened.on("pageerror", lambda error: errors.append(str(error)))
            yield opened
            assert errors == []
        finally:
            browser.close()


def test_a_customer_follows_and_opens_tickets_in_a_browser(
    live_server: str, helpdesk: Helpdesk, page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/portal/")
    expect(page).to_have_url(re.compile(r"/portal/login\?next=/portal/$"))
    # The style sheet loads under the CSP (the body loses its default margin).
    assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"

    page.get_by_label("E-mail").fill(KARLA)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The e-mail address or the password is not right."
    )
    expect(page.get_by_label("E-mail")).to_have_value(KARLA)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Only her own tickets.
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    rows = page.locator("table.tickets tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Invoice question")
    listing = page.content()
    for hidden in ("OTTO-SECRET", "INTERNAL-SECRET", "Kai's pump"):
        assert hidden not in listing

    # One ticket: the agent's reply and its file, not the note.
    page.get_by_role("link", name="Pump leaks").click()
    expect(page.get_by_role("heading", name=re.compile("Pump leaks"))).to_be_visible()
    expect(page.get_by_text("Please send a photo of the pump.")).to_be_visible()
    expect(page.get_by_role("link", name="manual.pdf")).to_be_visible()
    assert "SECRET-NOTE" not in page.content()
    assert "internal.txt" not in page.content()

    # A reply with a file.
    page.get_by_label("Message").fill("Here is the photo.")
    page.get_by_label("Attach files (optional)").set_input_files(
        files=[{"name": "pump.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n"}]
    )
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Your message was sent.")
    latest = page.locator("#latest")
    expect(latest).to_contain_text("Here is the photo.")
    expect(latest.get_by_role("link", name="pump.png")).to_be_visible()
    assert status_of(helpdesk.engine, helpdesk.mine) == "open"

    # A new ticket through the channel's form: the required field first left out.
    before = ticket_state(helpdesk.engine)
    page.get_by_role("navigation").get_by_role("link", name="New ticket").click()
    expect(page.get_by_text("On the type plate")).to_be_visible()  # the field's help
    page.get_by_label("Subject").fill("Display broken")
    page.get_by_label("Message").fill("The display stays dark.")
    page.get_by_label("Urgency").select_option("high")
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.locator("#form-errors")).to_contain_text("please correct the marked fields")
    serial = page.get_by_label("Serial number")
    expect(serial).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-serial-error")).to_have_text("is required")
    expect(page.get_by_label("Subject")).to_have_value("Display broken")
    expect(page.get_by_label("Urgency")).to_have_value("high")
    assert ticket_state(helpdesk.engine) == before

    serial.fill("SN-42")
    page.get_by_label("Under warranty").check()
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.get_by_role("status")).to_contain_text("was opened")
    expect(page.get_by_role("heading", name=re.compile("Display broken"))).to_be_visible()
    expect(page.locator(".details")).to_contain_text("SN-42")

    page.get_by_role("navigation").get_by_role("link", name="My tickets").click()
    expect(page.locator("table.tickets tbody tr")).to_have_count(3)

    # Logging out ends it: the list leads back to the login.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(f"{live_server}/portal/")
    expect(page).to_have_url(re.compile(r"/portal/login"))
