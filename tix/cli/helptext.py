"""Help and usage errors in the user's language, with plain metavars.

Click (vendored by Typer) writes its own words in English: ``Usage:``, the section
headings, ``Show this message and exit.``, ``[required]`` and its usage errors. Here
they go through tix's catalogue instead, and arguments read ``FILE...`` rather than
Typer's ``{FILE...}... <list[Path]>``. Everything is set on the command objects tix
builds (:func:`polish`), never on Click's or Typer's classes.
"""

from __future__ import annotations

import re
from typing import Any

import typer

from tix.core.i18n import _


def _click_words() -> dict[str, str]:
    """Click's and Typer's own words in the user's language."""
    return {
        "Arguments": _("Arguments"),
        "Options": _("Options"),
        "Commands": _("Commands"),
        "Show this message and exit.": _("Show this message and exit."),
    }


_ClickFormatter: Any = typer.Context.formatter_class


class HelpFormatter(_ClickFormatter):  # type: ignore[misc]
    """Click's help formatter, speaking the user's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)

    def section(self, name: str) -> Any:
        return super().section(_click_words().get(name, name))

    def write_dl(self, rows: Any, *args: Any, **kwargs: Any) -> None:
        words = _click_words()
        super().write_dl([(term, _help_in_language(text, words)) for term, text in rows])


_EXTRA = re.compile(r"\[(required|default: (?P<default>[^\]]*))\]$")


def _help_in_language(text: str, words: dict[str, str]) -> str:
    text = words.get(text, text)

    def extra(match: re.Match[str]) -> str:
        if match.group("default") is not None:
            return "[" + _("default: {default}").format(default=match.group("default")) + "]"
        return "[" + _("required") + "]"

    return _EXTRA.sub(extra, text)


class Context(typer.Context):
    """The context of every tix command: help comes from :class:`HelpFormatter`."""

    formatter_class = HelpFormatter


def polish(command: Any, help_option_names: list[str]) -> None:
    """Give ``command`` and its sub-commands tix's help formatter, translated help
    options and plain argument names."""
    command.context_class = Context
    if getattr(command, "options_metavar", None) == "[OPTIONS]":
        command.options_metavar = _("[OPTIONS]")
    if getattr(command, "subcommand_metavar", None) == "COMMAND [ARGS]...":
        command.subcommand_metavar = _("COMMAND [ARGS]...")
    option = command.get_help_option(HelpNames(help_option_names))
    if option is not None:
        option.help = _("Show this message and exit.")
    for param in command.params:
        if getattr(param, "param_type_name", "") == "argument":
            _plain_argument(param)
    for sub in getattr(command, "commands", {}).values():
        polish(sub, help_option_names)


class HelpNames:
    """What :meth:`get_help_option` reads of a context: the help option's names."""

    def __init__(self, names: list[str]) -> None:
        self.help_option_names = names


def _plain_argument(param: Any) -> None:
    """``FILE...`` for an argument in usage and help, instead of ``{FILE...}...`` and
    a Python type such as ``<list[Path]>``."""
    name = param.metavar or param.name.upper()
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    usage = name if param.required else f"[{name}]"
    param._usage_display_name = lambda: usage
    param._rich_display_name = lambda: name
    param.display_type_rich = lambda ctx: None


def usage_message(error: Exception) -> str:
    """A Click usage error as one line in the user's language."""
    kind = type(error).__name__
    message = str(getattr(error, "message", "") or "")
    if kind == "NoSuchOption":
        text = _("no such option {option}").format(option=error.option_name)  # type: ignore[attr-defined]
        possible = getattr(error, "possibilities", None)
        if possible:
            text += " " + _("(did you mean {options}?)").format(options=", ".join(sorted(possible)))
        return text
    if kind == "MissingParameter":
        param = getattr(error, "param", None)
        name = _param_name(param)
        if getattr(param, "param_type_name", "") == "argument":
            return _("missing argument {name}").format(name=name)
        return _("missing option {name}").format(name=name)
    if kind == "BadOptionUsage":
        option = getattr(error, "option_name", "")
        if message.endswith("does not take a value."):
            return _("{option} takes no value").format(option=option)
        if "requires" in message:
            return _("{option} needs a value").format(option=option)
        return message
    if isinstance(error, typer.BadParameter):
        param = getattr(error, "param", None)
        hint = getattr(error, "param_hint", None)
        given = hint if isinstance(hint, str) else _param_name(param) if param else None
        reason = _coercion_reason(message)
        if given is None:
            return reason
        return _("invalid value for {name}: {reason}").format(name=given, reason=reason)
    found = re.fullmatch(r"No such command '(.*)'\.(?: Did you mean (.*)\?)?", message)
    if found:
        text = _("no such command {name!r}").format(name=found.group(1))
        if found.group(2):
            text += " " + _("(did you mean {options}?)").format(options=found.group(2))
        return text
    found = re.fullmatch(r"Got unexpected extra argument\(s\) \((.*)\)", message)
    if found:
        return _("unexpected extra argument {words}").format(words=found.group(1))
    if message == "Missing command.":
        return _("missing command")
    return message


def _param_name(param: Any) -> str:
    if param is None:
        return "?"
    if getattr(param, "param_type_name", "") == "option":
        return str(max(param.opts, key=len))
    return str(param.metavar or param.name.upper())


def _coercion_reason(message: str) -> str:
    """Typer's (pydantic's) words for a value of the wrong type, in the user's language."""
    if message.startswith("Input should be a valid integer"):
        return _("give a whole number")
    if message.startswith("Input should be a valid number"):
        return _("give a number")
    if message.startswith("Input should be a valid boolean"):
        return _("give true or false")
    return message
