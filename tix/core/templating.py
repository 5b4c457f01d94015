"""Variables in texts agents reuse (signatures, text modules): Jinja2, sandboxed.

A text is Markdown with ``{{ customer.first_name }}``-style variables. It is rendered in
Jinja2's immutable sandbox: no attribute tricks (``{{ ''.__class__ }}``), no changing
values, no huge repetitions. The values are plain strings in fixed namespaces
(:data:`VARIABLES`), never database objects, so a template reaches nothing else. A
variable that does not exist is one clear error (naming it and the ones that do), not
an empty gap in a mail to a customer; a value that is merely unknown (a ticket without
customer) is empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from tix.core.errors import Invalid
from tix.core.i18n import _, use_language
from tix.core.models import Channel, Contact, MailAccount, Organization, Ticket, User

VARIABLES: dict[str, tuple[str, ...]] = {
    "customer": ("name", "first_name", "last_name", "email", "organization"),
    "ticket": ("number", "subject", "status", "priority"),
    "agent": ("name", "first_name", "last_name", "email", "login", "signature"),
    "channel": ("name",),
    "account": ("name", "address"),
}
"""Every variable a text may use, by namespace: ``{{ customer.first_name }}``."""

MAX_OUTPUT = 100_000
"""Characters a rendered text may have."""
_MAX_REPEAT = 10_000
_MAX_RANGE = 1_000


def variable_names() -> list[str]:
    return [f"{space}.{name}" for space, names in VARIABLES.items() for name in names]


class _Namespace(dict[str, str]):
    """The values of one namespace; knows its name for the message about a missing key."""

    def __init__(self, space: str, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.space = space


@cache
def _environment() -> Any:
    # Jinja2 is imported here, not at the top: only mail and text modules need it.
    from jinja2 import StrictUndefined
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Unknown(StrictUndefined):
        """A missing variable fails, named with its namespace (``customer.nmae``)."""

        @property
        def _undefined_message(self) -> str:
            owner = self._undefined_obj
            if isinstance(owner, _Namespace):
                return f"{owner.space}.{self._undefined_name}"
            if self._undefined_hint:
                return self._undefined_hint
            return str(self._undefined_name)

    class Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and isinstance(right, int) and abs(right) > 64:
                raise SecurityError("a power that large")
            if operator == "*":
                for sequence, count in ((left, right), (right, left)):
                    if (
                        isinstance(sequence, str | list | tuple)
                        and isinstance(count, int)
                        and len(sequence) * count > _MAX_REPEAT
                    ):
                        raise SecurityError("a repetition that long")
            return super().call_binop(context, operator, left, right)

    def small_range(*args: int) -> range:
        numbers = range(*args)
        if len(numbers) > _MAX_RANGE:
            raise SecurityError("a range that long")
        return numbers

    environment = Sandbox(undefined=Unknown, autoescape=False, keep_trailing_newline=False)
    environment.globals.clear()
    environment.globals["range"] = small_range
    return environment


def _empty_values() -> dict[str, dict[str, str]]:
    return {space: dict.fromkeys(names, "") for space, names in VARIABLES.items()}


def sample_values() -> dict[str, dict[str, str]]:
    """Values for checking a text before it is saved: every variable set."""
    values = _empty_values()
    for space, names in values.items():
        for name in names:
            names[name] = f"{space}.{name}"
    values["ticket"]["number"] = "1042"
    return values


def render(source: str, values: Mapping[str, Mapping[str, str]], *, what: str) -> str:
    """``source`` with its variables filled from ``values``.

    ``what`` names the text for the error (``text module "greeting"``). Raises
    :class:`Invalid` for a syntax error, an unknown variable or a forbidden trick.
    """
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    environment = _environment()
    namespaces = {space: _Namespace(space, names) for space, names in values.items()}
    try:
        text = str(environment.from_string(source).render(namespaces))
    except TemplateSyntaxError as error:
        raise Invalid(
            _("{what} cannot be read in line {line}: {problem}").format(
                what=what, line=error.lineno, problem=error.message
            )
        ) from None
    except SecurityError as error:
        raise Invalid(
            _(
                "{what} asks for something texts may not do ({problem}): use only its variables"
            ).format(what=what, problem=str(error).rstrip("."))
        ) from None
    except UndefinedError as error:
        raise Invalid(
            _("{what} uses the unknown variable {name}: use one of {variables}").format(
                what=what, name=error.message, variables=", ".join(variable_names())
            )
        ) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise Invalid(
            _("{what} cannot be filled in: {problem}").format(what=what, problem=error)
        ) from None
    if len(text) > MAX_OUTPUT:
        raise Invalid(
            _("{what} gives more than {limit} characters: make it shorter").format(
                what=what, limit=MAX_OUTPUT
            )
        )
    return text


def check(source: str, *, what: str) -> None:
    """Refuse a text that could not be rendered: checked once, before it is saved."""
    render(source, sample_values(), what=what)


_AGENT_SIGNATURE = re.compile(r"agent\s*(?:\.\s*signature|\[\s*['\"]signature['\"]\s*\])")


def uses_agent_signature(source: str) -> bool:
    """Whether ``source`` places the agent's own signature itself."""
    return _AGENT_SIGNATURE.search(source) is not None


def _split_name(name: str) -> tuple[str, str]:
    first, _space, last = name.strip().partition(" ")
    return first, last.strip()


def values_for(
    session: Session,
    *,
    agent: User | None = None,
    ticket: Ticket | None = None,
    channel: Channel | None = None,
    account: MailAccount | None = None,
    customer: Contact | None = None,
    language: str | None = None,
) -> dict[str, dict[str, str]]:
    """The values of every variable for a text about ``ticket`` written by ``agent``.

    What is not given is looked up from the ticket (its channel, account, customer);
    what stays unknown is empty. Labels (the status) are in ``language``.
    """
    from tix.core.labels import status_label
    from tix.core.services.contacts import primary_address

    values = _empty_values()
    if ticket is not None:
        if channel is None and ticket.channel_id is not None:
            channel = session.get(Channel, ticket.channel_id)
        if account is None and ticket.account_id is not None:
            account = session.get(MailAccount, ticket.account_id)
        if customer is None and ticket.customer_id is not None:
            customer = session.get(Contact, ticket.customer_id)
        with use_language(language):
            values["ticket"].update(
                number=str(ticket.number),
                subject=ticket.subject,
                status=status_label(ticket.status),
                priority=str(ticket.priority),
            )
    if customer is not None:
        first, last = _split_name(customer.name)
        values["customer"].update(name=customer.name, first_name=first, last_name=last, email="")
        with suppress(Invalid):  # a contact without an address: the value stays empty
            values["customer"]["email"] = primary_address(session, customer)
        if customer.organization_id is not None:
            organization = session.get(Organization, customer.organization_id)
            values["customer"]["organization"] = organization.name if organization else ""
    if agent is not None:
        first, last = _split_name(agent.name)
        values["agent"].update(
            name=agent.name, first_name=first, last_name=last, email=agent.email, login=agent.login
        )
    if channel is not None:
        values["channel"]["name"] = channel.name
    if account is not None:
        values["account"].update(name=account.name, address=account.address)
    return values
