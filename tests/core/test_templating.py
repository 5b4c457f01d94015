"""Variables in signatures and text modules: Jinja2 in its immutable sandbox."""

from __future__ import annotations

import pytest

from tix.core import templating
from tix.core.errors import Invalid


def values() -> dict[str, dict[str, str]]:
    filled = templating.sample_values()
    filled["customer"].update(name="Karla Kunde", first_name="Karla")
    filled["ticket"].update(number="1042", subject="Pump leaks")
    filled["agent"]["name"] = "Bob Support"
    return filled


def test_variables_are_filled_in() -> None:
    text = templating.render(
        "Hallo {{ customer.first_name }},\n#{{ticket.number}} {{ ticket.subject }}\n"
        "{{ agent.name }}",
        values(),
        what="greeting",
    )
    assert text == "Hallo Karla,\n#1042 Pump leaks\nBob Support"


def test_markdown_and_html_are_left_as_written() -> None:
    # Mail bodies are Markdown with raw HTML off; escaping here would show &lt; to customers.
    text = templating.render("**{{ customer.name }}** <b>", values(), what="x")
    assert text == "**Karla Kunde** <b>"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ customer.__class__.__init__.__globals__ }}",
        "{{ customer.update({'name': 'x'}) }}",
        "{{ 'x' * 100000 }}",
        "{% for i in range(10**6) %}{% endfor %}",
        "{{ cycler }}{{ lipsum() }}",
    ],
)
def test_the_sandbox_refuses_tricks(source: str) -> None:
    with pytest.raises(Invalid) as caught:
        templating.render(source, values(), what='text module "evil"')
    message = str(caught.value)
    assert "\n" not in message
    assert 'text module "evil"' in message


def test_an_unknown_variable_is_one_clear_line_naming_it() -> None:
    with pytest.raises(Invalid) as caught:
        templating.render("Hi {{ customer.nmae }}", values(), what='text module "hi"')
    message = str(caught.value)
    assert "unknown variable customer.nmae" in message
    assert "customer.first_name" in message  # the fix: the names that exist
    assert "\n" not in message


def test_an_unknown_namespace_and_a_syntax_error_are_named() -> None:
    with pytest.raises(Invalid, match="unknown variable kunde"):
        templating.render("{{ kunde.name }}", values(), what="x")
    with pytest.raises(Invalid, match="line 2"):
        templating.render("ok\n{{ customer.name ", values(), what="x")


def test_a_value_that_is_merely_unknown_is_empty() -> None:
    empty = {space: dict.fromkeys(names, "") for space, names in templating.VARIABLES.items()}
    assert templating.render("Hallo {{ customer.first_name }}!", empty, what="x") == "Hallo !"


def test_where_a_text_places_the_agents_signature() -> None:
    assert templating.uses_agent_signature("ACME\n{{ agent.signature }}")
    assert templating.uses_agent_signature("{{agent['signature']}}")
    assert not templating.uses_agent_signature("{{ agent.name }}")
