"""The HTML form a company pastes into its own web site (``tix webform snippet``).

Plain HTML that works without JavaScript: it posts form-encoded to ``/form/CHANNEL``
and the visitor sees tix's thank-you page. Fields named like the channel's form;
``website`` is a honeypot that people never see and robots fill in; ``form_language``
carries the form's language, which tix's answer pages then speak.
"""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy.orm import Session

from tix.core.i18n import LANGUAGES, _, use_language
from tix.core.models import Channel, User

LANGUAGE_FIELD = "form_language"
"""The hidden field that tells tix the language of the form the visitor filled in."""


def channel_language(session: Session, channel: Channel) -> str | None:
    """The language a channel speaks to customers: that of its default owner, who
    answers its tickets (``None`` when unknown)."""
    owner = session.get(User, channel.default_owner_id) if channel.default_owner_id else None
    language = (owner.language if owner is not None else "")[:2].lower()
    return language if language in LANGUAGES else None


def standard_labels() -> dict[str, str]:
    """The labels of the fields every form has, in the current language."""
    return {
        "name": _("Your name"),
        "email": _("E-mail"),
        "subject": _("Subject"),
        "message": _("Message"),
    }


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


def snippet(
    *, base_url: str, channel: str, form: list[dict[str, Any]] | None, language: str
) -> str:
    """The form in ``language`` (its own labels; the channel's fields keep the labels
    their admin gave them)."""
    action = f"{base_url.rstrip('/')}/form/{escape(channel, quote=True)}"
    has_files = any(field["type"] == "file" for field in form or [])
    encoding = ' enctype="multipart/form-data"' if has_files else ""
    fields = "".join(_field(field) for field in form or [])
    with use_language(language):
        labels = {name: escape(label) for name, label in standard_labels().items()}
        send = escape(_("Send"))
    return (
        f'<form class="tix-form" method="post" action="{action}"{encoding} '
        f'lang="{escape(language, quote=True)}">\n'
        f'  <input type="hidden" name="{LANGUAGE_FIELD}" value="{escape(language, quote=True)}">\n'
        f'  <p><label for="tix-name">{labels["name"]}</label><br>\n'
        f'    <input id="tix-name" name="name" required autocomplete="name"></p>\n'
        f'  <p><label for="tix-email">{labels["email"]}</label><br>\n'
        f'    <input id="tix-email" type="email" name="email" required '
        f'autocomplete="email"></p>\n'
        f'  <p><label for="tix-subject">{labels["subject"]}</label><br>\n'
        f'    <input id="tix-subject" name="subject" required maxlength="200"></p>\n'
        f'  <p><label for="tix-message">{labels["message"]}</label><br>\n'
        f'    <textarea id="tix-message" name="message" rows="8" required></textarea></p>\n'
        f"{fields}"
        f'  <p style="position:absolute;left:-10000px" aria-hidden="true">'
        f'<input name="website" tabindex="-1" autocomplete="off"></p>\n'
        f'  <p><button type="submit">{send}</button></p>\n'
        f"</form>\n"
    )
