"""HTML from mail: sanitise it for display, and derive a readable plain text from it.

Mail HTML is hostile input. `sanitize_html` keeps formatting, tables and links, and drops
everything that runs code or calls home: scripts, styles, event handlers, forms, frames and
remote images (only ``cid:`` and ``data:image/...`` sources survive, so a mail cannot tell
its sender that it was opened). `html_to_text` turns (sanitised) HTML into the plain text
an agent reads in the terminal.
"""

from __future__ import annotations

import functools
import re
from html import escape, unescape
from urllib.parse import unquote

import nh3

__all__ = ["html_to_text", "referenced_content_ids", "sanitize_html", "text_to_html"]

_ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big",
        "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd",
        "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "i", "img",
        "ins", "kbd", "li", "mark", "nav", "ol", "p", "pre", "q", "s", "samp", "section",
        "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip

# Tags removed together with their content: code, styling, document metadata (the <title>
# is not part of what a mail client shows), Office's <xml> islands, embedded objects.
_CLEAN_CONTENT_TAGS = frozenset(
    {
        "applet", "embed", "frameset", "iframe", "math", "noembed", "noframes", "object",
        "script", "select", "style", "svg", "template", "textarea", "title", "xml",
    }
)  # fmt: skip

_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"align", "dir", "lang", "style", "title"},
    "a": {"href", "name"},
    "blockquote": {"cite", "type"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "del": {"cite", "datetime"},
    "font": {"color", "face", "size"},
    "hr": {"noshade", "size", "width"},
    "img": {"alt", "height", "src", "width"},
    "ins": {"cite", "datetime"},
    "li": {"value"},
    "ol": {"start", "type"},
    "q": {"cite"},
    "table": {"bgcolor", "border", "cellpadding", "cellspacing", "summary", "width"},
    "tbody": {"bgcolor", "valign"},
    "td": {"bgcolor", "colspan", "headers", "height", "rowspan", "valign", "width"},
    "tfoot": {"bgcolor", "valign"},
    "th": {"bgcolor", "colspan", "headers", "height", "rowspan", "scope", "valign", "width"},
    "thead": {"bgcolor", "valign"},
    "tr": {"bgcolor", "valign"},
    "ul": {"type"},
}

# Visual properties only: nothing that positions, hides or overlays content, and nothing
# that can load a URL (no background, no list-style-image).
_ALLOWED_STYLE_PROPERTIES = frozenset(
    {
        "background-color", "border", "border-bottom", "border-collapse", "border-color",
        "border-left", "border-right", "border-style", "border-top", "border-width", "color",
        "font-family", "font-style", "font-weight", "padding", "text-align",
        "text-decoration", "vertical-align", "white-space", "width",
    }
)  # fmt: skip

_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid", "data"})


_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|(.))", re.DOTALL)
_CSS_FUNCTION = re.compile(r"([\w-]*)\s*\(")
# Functions that only compute a color or a length; any other (expression(), url(),
# image(), ...) may run code or load something, and its declaration goes.
_SAFE_CSS_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla", "calc"})
_CSS_SCHEME = re.compile(r"(?:javascript|vbscript|data)\s*:", re.IGNORECASE)


def _css_unescaped(match: re.Match[str]) -> str:
    if match.group(1) is None:
        return match.group(2)
    code = int(match.group(1), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _clean_style(value: str) -> str:
    """``value``'s declarations as a browser reads them (comments and escapes undone),
    without those that call a function other than a color's or a length's, or name a
    script scheme."""
    text = _CSS_ESCAPE.sub(_css_unescaped, _CSS_COMMENT.sub("", value))
    kept = [
        declaration.strip()
        for declaration in text.split(";")
        if declaration.strip()
        and not _CSS_SCHEME.search(declaration)
        and all(name.lower() in _SAFE_CSS_FUNCTIONS for name in _CSS_FUNCTION.findall(declaration))
    ]
    return "; ".join(kept)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Allow ``cid:``/``data:image`` sources for images only, and never as link targets;
    no style that runs code or loads something."""
    if attribute == "style":
        return _clean_style(value)
    if attribute == "src":
        lowered = value.strip().lower()
        if lowered.startswith("cid:"):
            return value
        if lowered.startswith("data:image/") and not lowered.startswith("data:image/svg"):
            return value
        return None
    if attribute == "href" and value.strip().lower().startswith(("cid:", "data:")):
        return None
    return value


@functools.cache
def _cleaner() -> nh3.Cleaner:
    # Built once, on first use: building the ammonia configuration costs more than a
    # typical clean() call.
    return nh3.Cleaner(
        tags=set(_ALLOWED_TAGS),
        clean_content_tags=set(_CLEAN_CONTENT_TAGS),
        attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        strip_comments=True,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes=set(_URL_SCHEMES),
        url_relative="deny",
        filter_style_properties=set(_ALLOWED_STYLE_PROPERTIES),
    )


_MAX_NESTING = 200
_UNCHECKED_TAGS = 2000  # this few tags cannot nest deep enough to slow the sanitiser down
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^<>]*>")
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
# Tags whose end tag may be left out: the parser closes them itself, so a long run of
# them does not nest and they are not counted.
_OPTIONAL_END_TAGS = frozenset(
    {"body", "caption", "colgroup", "dd", "dt", "head", "html", "li", "optgroup", "option",
     "p", "rp", "rt", "tbody", "td", "tfoot", "th", "thead", "tr"}
)  # fmt: skip


def _limit_nesting(source: str) -> str:
    """Drop the tags that open beyond `_MAX_NESTING` levels, keeping their text.

    The sanitiser's HTML parser takes time quadratic in the nesting depth: a few hundred
    kilobytes of ``<div>`` would stall mail import for a minute. Real mail is never
    nested this deep.
    """
    if source.count("<") <= _UNCHECKED_TAGS:
        return source
    open_tags: list[str] = []
    dropped: dict[str, int] = {}

    def visit(match: re.Match[str]) -> str:
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID_TAGS or name in _OPTIONAL_END_TAGS or match.group().endswith("/>"):
            return match.group()
        if not closing:
            if len(open_tags) >= _MAX_NESTING:
                dropped[name] = dropped.get(name, 0) + 1
                return ""
            open_tags.append(name)
            return match.group()
        if dropped.get(name):
            dropped[name] -= 1
            return ""
        if name in open_tags:
            while open_tags and open_tags.pop() != name:
                pass
        return match.group()

    return _TAG.sub(visit, source)


def sanitize_html(source: str) -> str:
    """Return `source` (a document or a fragment) reduced to safe formatting HTML."""
    if not source.strip():
        return ""
    return _cleaner().clean(_limit_nesting(source)).strip()


def text_to_html(text: str) -> str:
    """Render plain text as an HTML fragment that keeps its line breaks."""
    if not text:
        return ""
    return "<div>" + escape(text).replace("\n", "<br>\n") + "</div>"


_CID_REFERENCE = re.compile(r"""=\s*["']?cid:([^"'\s>]+)""", re.IGNORECASE)


def referenced_content_ids(html: str) -> frozenset[str]:
    """The Content-IDs (lowercased, without ``<>``) that `html` refers to with ``cid:``."""
    if "cid:" not in html.lower():
        return frozenset()
    return frozenset(
        unquote(match.group(1)).strip("<>").lower() for match in _CID_REFERENCE.finditer(html)
    )


# --- HTML to text ----------------------------------------------------------------------

_SKIPPED = frozenset({"head", "noscript"} | _CLEAN_CONTENT_TAGS)
_PARAGRAPH_TAGS = frozenset(
    {"address", "blockquote", "dl", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "p", "pre",
     "table"}
)  # fmt: skip
_LINE_TAGS = frozenset(
    {
        "article", "aside", "caption", "center", "dd", "details", "div", "dt", "fieldset",
        "figcaption", "footer", "form", "header", "hgroup", "legend", "li", "main", "nav",
        "section", "summary", "tbody", "tfoot", "thead", "tr",
    }
)  # fmt: skip
_COLLAPSIBLE_SPACE = re.compile(r"[ \t\n\r\f]+")
_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"  # a comment
    r"|<(/?)([A-Za-z][A-Za-z0-9:-]*)([^>]*)>"  # a start or end tag
    r"|<[!?/][^>]*>"  # doctype, processing instruction, malformed end tag
    r"|([^<]+|<)",  # text (a "<" that starts no tag is text too)
    re.DOTALL,
)
_ATTRIBUTE = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")


def _attribute(attributes: str, name: str) -> str:
    """The unescaped value of attribute `name` in a tag's attribute text; '' if absent."""
    if name not in attributes.lower():
        return ""
    for match in _ATTRIBUTE.finditer(attributes):
        if match.group(1).lower() == name:
            return unescape(match.group(2).strip("\"'"))
    return ""


_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def _same_target(text: str, href: str) -> bool:
    """True when a link's text already shows its target (ignoring scheme and slashes)."""

    def bare(value: str) -> str:
        value = value.strip().lower()
        for prefix in ("mailto:", "https://", "http://", "tel:"):
            if value.startswith(prefix):
                value = value[len(prefix) :]
                break
        return value.rstrip("/")

    return bare(text) == bare(href)


class _TextExtractor:
    """Walks the tokens of (sanitised) HTML and writes the text a reader sees."""

    def __init__(self) -> None:
        self._out: list[str] = []
        self._newlines = 0  # line breaks requested before the next text
        self._space = False  # a collapsible space is pending before the next text
        self._at_line_start = True
        self._started = False
        self._skip = 0
        self._pre = 0
        self._quote = 0
        self._line_quote = 0  # quote depth of the last line written
        self._lists: list[list[int]] = []  # [ordered (0/1), next number] per open list
        self._links: list[tuple[str, int]] = []

    # output ------------------------------------------------------------------------
    def _break(self, count: int) -> None:
        if self._started:
            self._newlines = max(self._newlines, count)
        self._space = False

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self._newlines:
            quote = ">" * min(self._quote, self._line_quote)
            for index in range(self._newlines):
                self._out.append("\n")
                if quote and index < self._newlines - 1:
                    self._out.append(quote)
            self._newlines = 0
            self._at_line_start = True
        if self._at_line_start:
            if self._quote:
                self._out.append(">" * self._quote + " ")
            self._at_line_start = False
            self._space = False
        elif self._space:
            self._out.append(" ")
            self._space = False
        self._out.append(text)
        self._started = True
        self._line_quote = self._quote

    # parser callbacks -----------------------------------------------------------------
    def handle_starttag(self, tag: str, attributes: str) -> None:
        if tag == "body":
            self._skip = 0  # whatever the head left open ends here
            return
        if tag in _SKIPPED:
            self._skip += 1
            return
        if self._skip:
            return
        if tag == "br":
            if self._started:
                self._newlines += 1
            self._space = False
        elif tag in _PARAGRAPH_TAGS or (tag in ("ul", "ol") and not self._lists):
            self._break(2)
            if tag == "blockquote":
                self._quote += 1
            elif tag == "pre":
                self._pre += 1
        elif tag in ("ul", "ol") or tag in _LINE_TAGS:
            self._break(1)
        elif tag == "hr":
            self._break(1)
            self._emit("---")
            self._break(1)
        elif tag in ("td", "th"):
            self._space = not self._at_line_start
        elif tag == "a":
            href = _attribute(attributes, "href")
            self._links.append((href, len(self._out)))
        elif tag == "img":
            alt = _attribute(attributes, "alt").strip()
            if alt:
                self._emit(f"[{_COLLAPSIBLE_SPACE.sub(' ', alt)}]")
        if tag in ("ul", "ol"):
            start = _attribute(attributes, "start")
            first = int(start.strip()) if start.strip().isdigit() else 1
            self._lists.append([1 if tag == "ol" else 0, first])
        elif tag == "li":
            indent = "  " * max(len(self._lists) - 1, 0)
            if self._lists and self._lists[-1][0]:
                bullet = f"{self._lists[-1][1]}. "
                self._lists[-1][1] += 1
            else:
                bullet = "• "
            self._emit(indent + bullet)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(self._skip - 1, 0)
            return
        if self._skip:
            return
        if tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            self._break(1 if self._lists else 2)
        elif tag in _PARAGRAPH_TAGS:
            if tag == "blockquote":
                self._quote = max(self._quote - 1, 0)
            elif tag == "pre":
                self._pre = max(self._pre - 1, 0)
            self._break(2)
        elif tag in _LINE_TAGS:
            self._break(1)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            href = href.strip()
            # Bounded, so that thousands of nested links cannot make this quadratic.
            text = "".join(self._out[start : start + 64]).strip()
            if (
                text
                and href
                and not href.startswith(("#", "cid:", "data:", "javascript:"))
                and not _same_target(text, href)
            ):
                self._space = True
                self._emit(f"({href})")

    def handle_data(self, data: str) -> None:
        if self._skip or not data:
            return
        if self._pre:
            lines = data.replace("\r\n", "\n").split("\n")
            for index, line in enumerate(lines):
                if index:
                    self._newlines += 1
                    self._started = True
                self._emit(line.replace("\xa0", " "))
            return
        if data[0] in " \t\n\r\f" and not self._at_line_start:
            self._space = True
        if "  " in data or "\n" in data or "\t" in data or "\r" in data or "\f" in data:
            words = _COLLAPSIBLE_SPACE.sub(" ", data).strip(" ")
        else:
            words = data.strip(" ")
        if words:
            self._emit(words.replace("\xa0", " "))
            if data[-1] in " \t\n\r\f":
                self._space = True

    def feed(self, source: str) -> None:
        # Sanitised HTML escapes every "<" in text, so each "<" opens a tag that a ">"
        # closes. Text after the last ">" cannot hold a tag: it is not scanned for one,
        # which keeps the scan linear on any input.
        last = source.rfind(">")
        for match in _TOKEN.finditer(source, 0, last + 1):
            name = match.group(2)
            if name is not None:
                if match.group(1):
                    self.handle_endtag(name.lower())
                else:
                    self.handle_starttag(name.lower(), match.group(3))
                    if name.lower() in _VOID_TAGS or match.group(3).endswith("/"):
                        self.handle_endtag(name.lower())
            elif match.group(4) is not None:
                self.handle_data(
                    unescape(match.group(4)) if "&" in match.group(4) else match.group(4)
                )
        if last + 1 < len(source):
            tail = source[last + 1 :]
            self.handle_data(unescape(tail) if "&" in tail else tail)

    def text(self) -> str:
        result = "".join(self._out)
        result = _TRAILING_SPACE.sub("\n", result)
        return _MANY_NEWLINES.sub("\n\n", result).strip()


def html_to_text(source: str) -> str:
    """Readable plain text of an HTML document or fragment.

    Paragraphs and ``<br>`` become line breaks, list items get bullets (or numbers),
    quotes get ``>`` markers, links show their target in brackets when the link text
    differs from it; scripts, styles and the document head are dropped.
    """
    if "<" not in source and "&" not in source:
        return _COLLAPSIBLE_SPACE.sub(" ", source).strip()
    extractor = _TextExtractor()
    extractor.feed(source)
    return extractor.text()
