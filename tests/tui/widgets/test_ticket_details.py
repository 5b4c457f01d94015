"""The Details tab on its own: the form keeps its user's edits and Save posts only them."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, TabbedContent

from tests.tui.models import ticket_detail
from tix.tui.backend import Choices
from tix.tui.widgets.category_chips import CategoryChips, Chip
from tix.tui.widgets.ticket_details import TicketDetails, change_fields
from tix.tui.widgets.ticket_pane import TicketPane

TICKET = ticket_detail(
    number=1001,
    version=3,
    kind="mail",
    subject="Pump leaks",
    status="open",
    priority=5,
    channel="Support",
    owner="bob",
    project=None,
    color=None,
    categories=["Pumpen", "Garantie"],
    customer={
        "name": "Eva Hartmann",
        "address": "eva@example.org",
        "kind": "customer",
        "organization": None,
    },
    creator="bob",
)
CHOICES = Choices(
    users=[("bob", "Bob Berg"), ("carl", "Carl Cramer")],
    channels=["Support", "Sales"],
    projects=[],
    groups=["Support"],
)


class _DetailsApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[TicketPane.ChangeRequested] = []

    def compose(self) -> ComposeResult:
        with TabbedContent():
            yield TicketDetails(number=TICKET.number)

    def on_ticket_pane_change_requested(self, message: TicketPane.ChangeRequested) -> None:
        self.asked.append(message)


async def _ready(app: _DetailsApp) -> TicketDetails:
    details = app.query_one(TicketDetails)
    details.set_choices(CHOICES)
    await details.ensure_form(100)
    details.show(TICKET, first_load=True)
    return details


async def test_save_asks_for_the_changed_fields_only_at_the_version_filled_from() -> None:
    app = _DetailsApp()
    async with app.run_test(size=(100, 40)) as pilot:
        details = await _ready(app)
        details.save()
        await pilot.pause()
        assert app.asked == []
        assert [n.message for n in app._notifications] == ["Nothing to save."]
        app.query_one("#edit-subject", Input).value = "Pump leaks at the seal "
        chips = app.query_one("#edit-categories", CategoryChips)
        chips.remove_category("Garantie")
        chips.input.value = "pumpen, Wartung"  # typed, not yet added: Save takes it
        details.save()
        await pilot.pause()
    (asked,) = app.asked
    assert asked.version == 3 and asked.refill_form
    assert asked.fields == {
        "subject": "Pump leaks at the seal",
        "add_categories": ["Wartung"],
        "remove_categories": ["Garantie"],
    }


async def test_the_form_keeps_edits_over_another_change_and_carries_them_over_its_own() -> None:
    app = _DetailsApp()
    async with app.run_test(size=(100, 40)) as pilot:
        details = await _ready(app)
        subject = app.query_one("#edit-subject", Input)
        subject.value = "Mine"
        theirs = TICKET.model_copy(update={"version": 4, "priority": 8})
        details.show(theirs)  # polled: someone else's change
        await pilot.pause()
        assert subject.value == "Mine"
        assert details.form_source is TICKET  # Save still sends version 3: a conflict
        ours = theirs.model_copy(update={"version": 5, "status": "waiting"})
        details.show(ours, own=True)  # this user's own action elsewhere
        await pilot.pause()
        assert subject.value == "Mine" and details.form_source is ours
        assert details.edits() == {"subject": "Mine"}


def test_form_edits_become_the_fields_of_a_change() -> None:
    edits = {"priority": "7", "project": None, "color": None, "owner": None, "status": "solved"}
    assert change_fields(TICKET, edits) == {
        "priority": 7,
        "project": "",
        "color": "none",
        "status": "solved",
    }


async def test_categories_are_chips_that_a_new_one_joins_instead_of_replacing() -> None:
    """The bug this control fixes: typing a category over the field replaced the ones
    there were. Now Enter adds a chip, completed from the known categories, and a chip
    goes only when removed."""
    app = _DetailsApp()
    async with app.run_test(size=(100, 40)) as pilot:
        details = await _ready(app)
        details.set_choices(Choices(categories=["Garantie", "Pumpen", "Wartung"]))
        chips = app.query_one("#edit-categories", CategoryChips)
        await pilot.pause()
        assert [chip.category for chip in chips.query(Chip)] == ["Pumpen", "Garantie"]
        chips.input.focus()
        await pilot.press(*"war")
        await pilot.pause()
        assert chips.input._suggestion == "Wartung"  # completion from the known ones
        await pilot.press("right", "enter")  # take the suggestion, add it
        await pilot.pause()
        assert [chip.category for chip in chips.query(Chip)] == ["Pumpen", "Garantie", "Wartung"]
        assert chips.input.value == ""
        await pilot.press("backspace")  # in the empty field: the last chip goes
        await pilot.pause()
        assert chips.values == ["Pumpen", "Garantie"]
        await pilot.click(".chip")  # the first chip's ✕
        await pilot.pause()
        assert chips.values == ["Garantie"]
        await pilot.press(*"Neu", "enter")
        await pilot.pause()
        details.save()
        await pilot.pause()
    (asked,) = app.asked
    assert asked.fields == {"add_categories": ["Neu"], "remove_categories": ["Pumpen"]}
