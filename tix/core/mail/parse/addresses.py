"""Address-list headers (From, To, Cc, Reply-To) read the way a person would: tolerant of
what real mailers write, never decoding encoded words inside an address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tix.core.mail.parse.charsets import decode_bytes
from tix.core.mail.parse.headers import (
    ENCODED_WORD_TEXT,
    decode_words,
    normalise_space,
    raw_bytes,
    unfold,
    unquote,
)

__all__ = ["Address", "is_usable", "parse_addresses"]


@dataclass(frozen=True)
class Address:
    name: str
    """Decoded display name, ``''`` when there is none."""
    address: str
    """The bare address as written, with the domain lowercased."""

    def __str__(self) -> str:
        if not self.name:
            return self.address
        name = self.name
        if re.search(r'[()<>\[\]:;@\\,."]', name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.address}>"


_ATOM = re.compile(r'(?:[^"(<>,;: \t=]|=(?!\?))+')  # up to a special or an encoded word
_WORD_SPACE = " \t"


@dataclass
class _Mailbox:
    phrase: list[str] = field(default_factory=list)  # display-name parts, still encoded
    comments: list[str] = field(default_factory=list)
    angle: str | None = None
    words: list[list[str]] = field(default_factory=list)  # bare tokens, grouped by spaces
    space_before: bool = True

    def add_word(self, token: str) -> None:
        if self.space_before or not self.words:
            self.words.append([token])
        else:
            self.words[-1].append(token)
        self.space_before = False

    def empty(self) -> bool:
        return self.angle is None and not self.words and not self.comments


def _tokenise_mailboxes(value: str) -> Iterator[_Mailbox]:
    """Split an address-list header into mailboxes, tolerating what real mailers write."""
    current = _Mailbox()
    index, length = 0, len(value)
    while index < length:
        char = value[index]
        if char in _WORD_SPACE:
            current.space_before = True
            index += 1
        elif char == '"':
            end = index + 1
            while end < length and value[end] != '"':
                end += 2 if value[end] == "\\" else 1
            current.add_word(value[index : end + 1])
            index = end + 1
        elif char == "(":
            depth, end = 1, index + 1
            while end < length and depth:
                if value[end] == "\\":
                    end += 1
                elif value[end] == "(":
                    depth += 1
                elif value[end] == ")":
                    depth -= 1
                end += 1
            current.comments.append(value[index + 1 : end - 1 if depth == 0 else end])
            current.space_before = True
            index = end
        elif char == "<":
            end = value.find(">", index)
            if end < 0:
                end = length
            if current.angle is None:
                current.angle = value[index + 1 : end]
                current.phrase = ["".join(word) for word in current.words]
                current.words = []
            index = end + 1
            current.space_before = True
        elif char in ",;":
            if not current.empty():
                yield current
            current = _Mailbox()
            index += 1
        elif (
            char == ":"
            and current.angle is None
            and not any("@" in token for word in current.words for token in word)
        ):
            current = _Mailbox()  # a group name such as "undisclosed-recipients:"
            index += 1
        elif char == ">":  # stray closing bracket
            index += 1
            current.space_before = True
        else:
            encoded = (
                ENCODED_WORD_TEXT.match(value, index) if value.startswith("=?", index) else None
            )
            if encoded:  # atomic, even when it holds spaces or commas
                end = encoded.end()
            else:
                atom = _ATOM.match(value, index)
                end = atom.end() if atom else index + 1
            current.add_word(value[index:end])
            index = end
    if not current.empty():
        yield current


def _decode_phrase(parts: Iterable[str], charset: str | None) -> str:
    text = " ".join(unquote(part) if part.startswith('"') else part for part in parts)
    return normalise_space(decode_words(raw_bytes(text), charset)).strip("'\" ")


def _clean_address(address: str, charset: str | None) -> str:
    address = address.strip().strip("<>").strip()
    if address.startswith("@") and ":" in address:  # obsolete source route
        address = address.split(":", 1)[1]
    address = decode_bytes(raw_bytes(address), charset, prefer_utf8=True)
    address = "".join(char for char in address if char.isprintable())
    local, at, domain = address.rpartition("@")
    if not at:
        return address.strip()
    return f"{local.strip()}@{domain.strip().lower()}"


def parse_addresses(value: str | None, charset: str | None = None) -> tuple[Address, ...]:
    """Parse an address-list header value (raw) into addresses; never raises.

    Encoded words are decoded in display names but never in the address itself
    (RFC 2047 section 5 forbids them there; decoding them lets a sender disguise its
    address). Malformed forms are read the way a person would: ``Name addr@host``
    without brackets, a display name only in a comment, a stray ``>``.
    """
    if not value or not value.strip():
        return ()
    result: list[Address] = []
    for mailbox in _tokenise_mailboxes(unfold(value)):
        if mailbox.angle is not None:
            address = _clean_address(mailbox.angle, charset)
            name_parts = mailbox.phrase + [token for word in mailbox.words for token in word]
            name = _decode_phrase(name_parts, charset)
        else:
            words = ["".join(word) for word in mailbox.words]
            with_at = [word for word in words if "@" in word]
            if with_at:
                address = _clean_address(with_at[0], charset)
                words.remove(with_at[0])
                name = _decode_phrase(words, charset)
            else:
                address = ""
                name = _decode_phrase(words, charset)
                # "Name (name@host)": the only address is in the comment
                in_comments = [
                    c.strip() for c in mailbox.comments if "@" in c and " " not in c.strip()
                ]
                if len(in_comments) == 1:
                    address = _clean_address(in_comments[0], charset)
                    mailbox.comments.clear()
        if not name and mailbox.comments:
            name = _decode_phrase(mailbox.comments, charset)
        if address:
            result.append(Address(name=name, address=address))
    return tuple(result)


def is_usable(address: Address) -> bool:
    local, at, domain = address.address.rpartition("@")
    return bool(at and local and domain)
