"""The HTML form a company pastes into its own web site (``tix webform snippet``).

Plain HTML that works without JavaScript: it posts form-encoded to ``/form/CHANNEL``
and the visitor sees tix's thank-you page. Fields named like the channel's form;
``website`` is a honeypot that people never see and robots fill in.
"""

from __future__ import annotations

from html import escape
from typing import Any

from tix.core.i18n import _


def _field(field: dict[str, Any]) -> str:
    name, label, kind = field["name"], escape(field["label"]), field["type"]
    required = " required" if field["required"] else ""
    ident = f"tix-{name}"
    help_text = f"\n    <small>{escape(field['help'])}</small>" if field.get("help") else ""
    if kind == "longtext":
        control = f'<textarea id="{ident}" name="{name}" rows="5"{required}></textarea>'
    elif kind == "select":
        options = "".join(f"<option>{escape(option)}</option>" for option in field["options"])
        control = (
            f'<select id="{ident}" name="{name}"{required}><option value=""></option>'
            f"{options}</select>"
        )
    elif kind == "checkbox":
        return (
            f'  <p><label><input type="checkbox" name="{name}" value="yes"{required}> '
            f"{label}</label>{help_text}</p>\n"
        )
    else:
        html_type = {"number": "number", "date": "date", "file": "file"}.get(kind, "text")
        control = f'<input id="{ident}" type="{html_type}" name="{name}"{required}>'
    return f'  <p><label for="{ident}">{label}</label><br>\n    {control}{help_text}</p>\n'


def snippet(*, base_url: str, channel: str, form: list[dict[str, Any]] | None) -> str:
    action = f"{base_url.rstrip('/')}/form/{escape(channel, quote=True)}"
    has_files = any(field["type"] == "file" for field in form or [])
    encoding = ' enctype="multipart/form-data"' if has_files else ""
    fields = "".join(_field(field) for field in form or [])
    return (
        f'<form class="tix-form" method="post" action="{action}"{encoding}>\n'
        f'  <p><label for="tix-name">{escape(_("Your name"))}</label><br>\n'
        f'    <input id="tix-name" name="name" required autocomplete="name"></p>\n'
        f'  <p><label for="tix-email">{escape(_("E-mail"))}</label><br>\n'
        f'    <input id="tix-email" type="email" name="email" required '
        f'autocomplete="email"></p>\n'
        f'  <p><label for="tix-subject">{escape(_("Subject"))}</label><br>\n'
        f'    <input id="tix-subject" name="subject" required maxlength="200"></p>\n'
        f'  <p><label for="tix-message">{escape(_("Message"))}</label><br>\n'
        f'    <textarea id="tix-message" name="message" rows="8" required></textarea></p>\n'
        f"{fields}"
        f'  <p style="position:absolute;left:-10000px" aria-hidden="true">'
        f'<input name="website" tabindex="-1" autocomplete="off"></p>\n'
        f'  <p><button type="submit">{escape(_("Send"))}</button></p>\n'
        f"</form>\n"
    )
