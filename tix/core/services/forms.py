"""Forms: the fields a customer fills in when opening a ticket in a channel.

An admin defines them per channel (``tix form set CHANNEL FILE``, TOML or JSON); the
portal and the web form render them, and :func:`check_values` validates what comes
back before anything is stored.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from tix.core.errors import Invalid
from tix.core.i18n import _
from tix.core.models import Channel, User
from tix.core.permissions import require_admin

FIELD_TYPES = ("text", "longtext", "number", "date", "select", "checkbox", "file")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 30
MAX_TEXT = 10_000


class FormErrors(Invalid):
    """Values that do not fit the form; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors.items()))
        super().__init__(f"{first[0]}: {first[1]}")
        self.errors = errors


def parse_definition(text: str, *, filename: str = "") -> list[dict[str, Any]]:
    """A form from TOML (``[[field]]`` tables) or JSON (a list, or ``{"fields": [...]}``)."""
    try:
        if filename.lower().endswith(".toml") or not text.lstrip().startswith(("[", "{")):
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise Invalid(
            _("the form definition cannot be read: {error}").format(error=error)
        ) from None
    if isinstance(data, dict):
        data = data.get("field", data.get("fields"))
    if not isinstance(data, list) or not data:
        raise Invalid(_("a form needs a list of fields: [[field]] tables in TOML, or a JSON list"))
    return check_definition(data)


def check_definition(fields: list[Any]) -> list[dict[str, Any]]:
    if len(fields) > MAX_FIELDS:
        raise Invalid(_("a form has at most {limit} fields").format(limit=MAX_FIELDS))
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(fields, start=1):
        if not isinstance(raw, dict):
            raise Invalid(_("field {index} is not a table of settings").format(index=index))
        name = str(raw.get("name", "")).strip()
        if not _NAME.match(name) or name in seen:
            raise Invalid(
                _(
                    "field {index}: name {name!r} must be unique, lower-case letters, digits and "
                    "_ (starting with a letter)"
                ).format(index=index, name=name)
            )
        seen.add(name)
        kind = str(raw.get("type", "text")).strip().lower()
        if kind not in FIELD_TYPES:
            raise Invalid(
                _("field {name}: unknown type {kind!r}: use one of {types}").format(
                    name=name, kind=kind, types=", ".join(FIELD_TYPES)
                )
            )
        label = " ".join(str(raw.get("label", "")).split()) or name
        options = raw.get("options", [])
        if kind == "select":
            if (
                not isinstance(options, list)
                or not options
                or not all(isinstance(option, str) and option.strip() for option in options)
            ):
                raise Invalid(
                    _("field {name}: a select needs options, a list of texts").format(name=name)
                )
            options = [option.strip() for option in options]
        elif options:
            raise Invalid(_("field {name}: only select fields have options").format(name=name))
        checked.append(
            {
                "name": name,
                "label": label[:200],
                "type": kind,
                "required": bool(raw.get("required", False)),
                "options": options,
                "help": " ".join(str(raw.get("help", "")).split())[:500],
            }
        )
    return checked


def set_form(
    session: Session, actor: User, *, channel: Channel, fields: list[dict[str, Any]] | None
) -> Channel:
    """Give ``channel`` its form (``None`` removes it); admins only."""
    require_admin(actor, _("change forms"))
    channel.form = check_definition(fields) if fields else None
    session.flush()
    return channel


def check_values(
    form: list[dict[str, Any]] | None,
    values: Mapping[str, Any],
    *,
    files: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The values a customer sent, typed and checked against ``form``.

    ``files`` maps file fields to the names of files sent with them. A key the form
    does not have is refused like a wrong value; every problem is reported, by field,
    in one :class:`FormErrors`.
    """
    result: dict[str, Any] = {}
    known = {field["name"] for field in form or []}
    errors: dict[str, str] = {
        str(key): _("is not a field of this form") for key in values if key not in known
    }
    for field in form or []:
        name, kind = field["name"], field["type"]
        given = values.get(name)
        if kind == "file":
            given = (files or {}).get(name)
        if isinstance(given, str):
            given = given.strip()
        if kind == "checkbox":
            result[name] = given not in (None, "", False, "false", "0", "off", "no")
            if field["required"] and not result[name]:
                errors[name] = _("must be ticked")
            continue
        if given in (None, "", []):
            if field["required"]:
                errors[name] = _("is required")
            continue
        try:
            result[name] = _typed(field, given)
        except ValueError as problem:
            errors[name] = str(problem)
    if errors:
        raise FormErrors(errors)
    return result


def _typed(field: dict[str, Any], given: Any) -> Any:
    kind = field["type"]
    if kind in ("text", "longtext", "file"):
        text = str(given)
        limit = MAX_TEXT if kind == "longtext" else 500
        if len(text) > limit:
            raise ValueError(_("is too long: at most {limit} characters").format(limit=limit))
        return text if kind == "longtext" else " ".join(text.split())
    if kind == "number":
        try:
            number = Decimal(str(given).replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("must be a number")) from None
        if not number.is_finite():
            raise ValueError(_("must be a number"))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date":
        try:
            return date.fromisoformat(str(given)).isoformat()
        except ValueError:
            raise ValueError(_("must be a date like 2026-11-27")) from None
    if kind == "select":
        if str(given) not in field["options"]:
            raise ValueError(
                _("must be one of: {options}").format(options=", ".join(field["options"]))
            )
        return str(given)
    raise ValueError(kind)
