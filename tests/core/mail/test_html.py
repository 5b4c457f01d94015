"""HTML from mail: sanitising for display, and the plain text derived from it."""

from __future__ import annotations

import time

import pytest

from tix.core.mail.html import html_to_text, referenced_content_ids, sanitize_html, text_to_html

# --- sanitising ---------------------------------------------------------------------------


def test_scripts_and_styles_are_removed_with_their_content() -> None:
    html = "<p>Hi</p><script>alert('x')</script><style>p { color: red }</style>"
    assert sanitize_html(html) == "<p>Hi</p>"


def test_event_handlers_are_removed() -> None:
    html = '<p onclick="steal()">Hi</p><img src="cid:logo" onerror="steal()">'
    assert sanitize_html(html) == '<p>Hi</p><img src="cid:logo">'


@pytest.mark.parametrize(
    "source",
    [
        "http://tracker.example/pixel.gif",
        "https://tracker.example/pixel.gif",
        "//tracker.example/pixel.gif",
        "/relative.png",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "javascript:alert(1)",
    ],
)
def test_remote_and_unsafe_image_sources_are_removed(source: str) -> None:
    assert sanitize_html(f'<img src="{source}" alt="logo">') == '<img alt="logo">'


@pytest.mark.parametrize(
    "source", ["cid:part1.abc@example.com", "data:image/png;base64,iVBORw0KGgo="]
)
def test_inline_image_sources_are_kept(source: str) -> None:
    assert sanitize_html(f'<img src="{source}">') == f'<img src="{source}">'


def test_links_open_safely() -> None:
    assert sanitize_html('<a href="https://example.com/x">x</a>') == (
        '<a href="https://example.com/x" target="_blank" rel="noopener noreferrer">x</a>'
    )


@pytest.mark.parametrize(
    "target",
    ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "cid:x", "vbscript:x"],
)
def test_dangerous_link_targets_are_removed(target: str) -> None:
    assert "href" not in sanitize_html(f'<a href="{target}">x</a>')


def test_only_harmless_style_properties_survive() -> None:
    html = '<span style="color: red; position: fixed; top: 0; background: url(x)">x</span>'
    assert sanitize_html(html) == '<span style="color:red">x</span>'


@pytest.mark.parametrize(
    "style",
    [
        "width: expression(alert(1))",
        "width: EXPRESSION (alert(1))",
        "width: ex/**/pression(alert(1))",
        r"width: e\xpression(alert(1))",
        r"width: \65 xpression(alert(1))",
        "color: url(javascript:alert(1))",
        "font-family: url(javascript:alert(1))",
        r"background-color: u\rl(http://tracker.example/p.gif)",
        "white-space: javascript:alert(1)",
        r"white-space: java\script:alert(1)",
        "color: vbscript:msgbox(1)",
    ],
)
def test_styles_that_run_code_or_load_something_are_removed(style: str) -> None:
    html = f'<span style="{style}; color: blue">x</span>'
    assert sanitize_html(html) == '<span style="color:blue">x</span>'


def test_styles_keep_colors_and_lengths_computed_by_functions() -> None:
    html = '<td style="width: calc(100% - 2px); color: rgb(1,2,3); border-color: hsl(0,0%,50%)">'
    assert sanitize_html(f"<table><tr>{html}x</td></tr></table>") == (
        '<table><tbody><tr><td style="width:calc(100% - 2px);color:rgb(1, 2, 3);'
        'border-color:hsl(0, 0%, 50%)">x</td></tr></tbody></table>'
    )


def test_document_parts_and_comments_are_dropped() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>Secret title</title><meta charset=utf-8>"
        "<base href='http://evil.example/'></head><body><!--[if mso]>x<![endif]-->"
        "<p>Body</p><xml><o:p>Normal 0 false</o:p></xml></body></html>"
    )
    assert sanitize_html(html) == "<p>Body</p>"


def test_forms_and_frames_are_dropped() -> None:
    html = (
        '<form action="http://evil.example"><input name="pw"><textarea>t</textarea>'
        '<button>Go</button></form><iframe src="http://evil.example"></iframe><p>ok</p>'
    )
    assert sanitize_html(html) == "Go<p>ok</p>"


def test_tables_and_formatting_are_kept() -> None:
    html = (
        '<table border="1" cellpadding="2"><tr><td colspan="2"><b>bold</b> <i>it</i></td>'
        '</tr></table><blockquote type="cite"><p>quoted</p></blockquote><ul><li>x</li></ul>'
    )
    assert sanitize_html(html) == (
        '<table border="1" cellpadding="2"><tbody><tr><td colspan="2"><b>bold</b> <i>it</i>'
        '</td></tr></tbody></table><blockquote type="cite"><p>quoted</p></blockquote>'
        "<ul><li>x</li></ul>"
    )


def test_blank_html_is_empty() -> None:
    assert sanitize_html("  \n ") == ""


def test_deep_nesting_does_not_stall_the_sanitiser() -> None:
    started = time.perf_counter()
    cleaned = sanitize_html("<div>" * 100_000 + "deep")
    assert time.perf_counter() - started < 5
    assert cleaned.count("<div>") <= 200
    assert "deep" in cleaned


def test_long_flat_html_keeps_its_formatting() -> None:
    html = "<table>" + "<tr><td>a<td>b" * 500 + "</table>" + "<p>x" * 500
    assert sanitize_html(html).count("<td>") == 1000


# --- text and HTML ----------------------------------------------------------------------


def test_text_to_html_escapes_and_keeps_lines() -> None:
    assert text_to_html("a < b\nc & d") == "<div>a &lt; b<br>\nc &amp; d</div>"
    assert text_to_html("") == ""


def test_referenced_content_ids() -> None:
    html = '<img src="cid:Logo@Example"><img src="CID:%3Cpart2%3E"><a href="x">cid:</a>'
    assert referenced_content_ids(html) == {"logo@example", "part2"}
    assert referenced_content_ids("<p>no images</p>") == frozenset()


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("a<br>b<br><br>c", "a\nb\n\nc"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<p>  lots   of\n space  </p>", "lots of space"),
        ("<ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul>", "• one\n• two\n  • inner"),
        ('<ol start="3"><li>c</li><li>d</li></ol>', "3. c\n4. d"),
        ('<a href="https://example.com/a">the docs</a>', "the docs (https://example.com/a)"),
        ('<a href="http://www.example.com">www.example.com</a>', "www.example.com"),
        ('<a href="mailto:a@example.com">a@example.com</a>', "a@example.com"),
        ('<a href="cid:x">pic</a>', "pic"),
        ("<head><title>T</title><style>p{}</style></head><p>Body</p>", "Body"),
        ("<html><head><title>T</title><body><p>Body</p>", "Body"),
        ("<p>x</p><script>var a = '<p>';</script>", "x"),
        ("<pre>  a\n    b</pre>", "a\n    b"),
        ("<p>Hi</p><blockquote><p>old</p><p>older</p></blockquote>", "Hi\n\n> old\n>\n> older"),
        ("Tom &amp; Jerry&nbsp;&lt;3", "Tom & Jerry <3"),
        ("<table><tr><td>Von:</td><td>Anna</td></tr><tr><td>An:</td><td>Bob</td></tr></table>",
         "Von: Anna\nAn: Bob"),
        ('<img src="cid:x" alt="Logo">text', "[Logo]text"),
        ("<p>a</p><hr><p>b</p>", "a\n\n---\n\nb"),
        ("a<hr>b", "a\n---\nb"),
        ("no markup at all", "no markup at all"),
        ("", ""),
    ],
)  # fmt: skip
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_html_to_text_of_sanitised_mail_html() -> None:
    html = sanitize_html(
        "<html><body><p>Hallo Martin,</p><p>&nbsp;</p><p>wie besprochen<br>die Daten:</p>"
        '<p><a href="http://www.example.com">www.example.com</a></p></body></html>'
    )
    assert html_to_text(html) == "Hallo Martin,\n\nwie besprochen\ndie Daten:\n\nwww.example.com"


def test_many_nested_links_stay_fast() -> None:
    started = time.perf_counter()
    html_to_text('<a href="http://x.example">x' * 20_000)
    assert time.perf_counter() - started < 5
