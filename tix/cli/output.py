"""Output helpers shared by every command: ``--json``, tables, bodies, exit codes,
and the ``--format``/``--fields`` of every list command (:func:`emit_rows`).

stdout carries data (JSON with ``--json``; a list piped elsewhere as TSV), stderr
carries messages for people. Rich is imported only when a table is drawn.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tix.core.i18n import _, ngettext


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    FORBIDDEN = 4
    CONFLICT = 5


class _State:
    json = False
    #: ``--format`` of a list command (``None``: a table on a terminal, else TSV).
    format: str | None = None
    #: ``--fields`` of a list command: the JSON keys to print, in this order.
    fields: list[str] | None = None

    def reset(self) -> None:
        self.json = False
        self.format = None
        self.fields = None


state = _State()

#: What ``--format`` accepts.
FORMATS = ("table", "tsv", "csv", "json", "jsonl")


def _set_json(value: bool) -> bool:
    if value:
        state.json = True
    return value


def _set_format(value: str | None) -> str | None:
    if value is None:
        return None
    chosen = value.strip().lower()
    if chosen not in FORMATS:
        raise typer.BadParameter(
            _("unknown format {value!r}: use {formats}").format(
                value=value, formats=", ".join(FORMATS)
            )
        )
    if state.json and chosen != "json":  # --json is eager: it was read first
        raise typer.BadParameter(_("give --json or --format, not both"))
    state.format = chosen
    if chosen in ("json", "jsonl"):
        state.json = True  # machine output: errors as JSON too, nothing for people
    return chosen


def _set_fields(value: str | None) -> str | None:
    if value is not None:
        names = [name.strip() for name in value.split(",") if name.strip()]
        if not names:
            raise typer.BadParameter(_("give the fields as names separated by commas"))
        state.fields = names
    return value


JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help=_("Print machine-readable JSON on stdout (nothing else goes there)."),
        callback=_set_json,
        is_eager=True,
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        help=_(
            "table, tsv, csv, json or jsonl (default: a table on a terminal, "
            "else tab-separated lines with a header)."
        ),
        callback=_set_format,
        metavar="FORMAT",
        show_default=False,
    ),
]


def _set_jsonl(value: bool) -> bool:
    if value:
        _set_format("jsonl")
    return value


JsonlOption = Annotated[
    bool,
    typer.Option(
        "--jsonl",
        help=_("One JSON object per line (as --format jsonl)."),
        callback=_set_jsonl,
    ),
]
FieldsOption = Annotated[
    str | None,
    typer.Option(
        "--fields",
        help=_("Only these fields, in this order (JSON key names, separated by commas)."),
        callback=_set_fields,
        metavar="NAME,...",
        show_default=False,
    ),
]
BodyOption = Annotated[
    str | None,
    typer.Option("--body", help=_("The text (Markdown)."), show_default=False, metavar="TEXT"),
]
BodyFileOption = Annotated[
    str | None,
    typer.Option(
        "--body-file",
        help=_("Read the text from FILE, or from stdin with -."),
        metavar="FILE",
        show_default=False,
    ),
]


def read_text(name: str, *, given_as: str) -> str:
    """The UTF-8 text of the file ``name`` (``-`` is stdin); ``given_as`` names the
    option or argument that gave it, for the message when it cannot be read."""
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise typer.BadParameter(
            _("no file {path}: check the path given as {option}").format(path=path, option=given_as)
        ) from None
    except IsADirectoryError:
        raise typer.BadParameter(
            _("{path} is a folder: give a file as {option}").format(path=path, option=given_as)
        ) from None
    except UnicodeDecodeError:
        raise typer.BadParameter(
            _("{path} is not UTF-8 text: save it as UTF-8").format(path=path)
        ) from None
    except OSError as error:
        raise typer.BadParameter(
            _("cannot read {path}: {error}").format(path=path, error=error.strerror or error)
        ) from None


def read_body(body: str | None, body_file: str | None, *, required: bool = True) -> str | None:
    """The text from ``--body`` or ``--body-file`` (``-`` is stdin)."""
    if body is not None and body_file is not None:
        raise typer.BadParameter(_("give --body or --body-file, not both"))
    if body_file is not None:
        return read_text(body_file, given_as="--body-file")
    if body is None and required:
        raise typer.BadParameter(_("give the text with --body TEXT or --body-file FILE"))
    return body


AttachOption = Annotated[
    list[str] | None,
    typer.Option("--attach", help=_("Attach this file (repeatable)."), metavar="FILE"),
]


def read_files(paths: Sequence[str | Path], *, max_size: int) -> list[Any]:
    """The files at ``paths`` as :class:`~tix.core.services.storage.NewFile` objects.

    A missing, unreadable or too large file stops everything before anything is stored.
    A path dropped on a terminal may arrive quoted or with ``file://``: both are accepted.
    """
    from tix.core.errors import Invalid
    from tix.core.services.storage import NewFile, check_size

    found = []
    for given in paths:
        text = str(given).strip()
        if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        if text.startswith("file://"):
            from urllib.parse import unquote, urlparse

            text = unquote(urlparse(text).path)
        path = Path(text).expanduser()
        if not path.exists():
            raise Invalid(_("no file {path}: check the path").format(path=path))
        if not path.is_file():
            raise Invalid(_("{path} is not a file").format(path=path))
        check_size(path.name, path.stat().st_size, max_size)  # before it is read
        try:
            data = path.read_bytes()
        except OSError as error:
            raise Invalid(
                _("cannot read {path}: {reason}").format(path=path, reason=error.strerror)
            ) from None
        found.append(NewFile(name=path.name, data=data))
    return found


def writable(target: Path, *, force: bool, suffix: str | None = None) -> Path:
    """``target`` if a command may write it: the right suffix, and not there yet unless
    ``--force``."""
    from tix.core.errors import Conflict, Invalid

    if suffix is not None and target.suffix.lower() != suffix:
        raise Invalid(_("{file} must end in {suffix}").format(file=target, suffix=suffix))
    if target.exists() and not force:
        raise Conflict(
            _("{file} exists already: choose another file or pass --force").format(file=target)
        )
    return target


def emit(data: Any, human: Callable[[], None] | None = None) -> None:
    """Print ``data`` as JSON with ``--json``, else call ``human`` to print it for people."""
    if state.json or human is None:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        human()


def emit_rows(
    data: Sequence[Mapping[str, Any]],
    human: Callable[[], None],
    *,
    fields: Sequence[str],
    default: Sequence[str],
) -> None:
    """Print the rows of a list command in the chosen ``--format``.

    ``fields`` are every JSON key a row has (what ``--fields`` may name); ``default``
    those printed as TSV or CSV without ``--fields``, the table's columns. ``human``
    draws the table for people. Piped, the rows go out as tab-separated lines under
    a header of field names, nothing cut (as ``gh`` does).
    """
    known = list(dict.fromkeys([*fields, *(key for row in data for key in row)]))
    chosen = _chosen_fields(known)
    output_format = state.format or (
        "json" if state.json else "table" if sys.stdout.isatty() else "tsv"
    )
    if output_format == "table" and chosen is None:
        human()
        return
    if output_format in ("json", "jsonl"):
        rows: Sequence[Mapping[str, Any]] = (
            data if chosen is None else [{key: row.get(key) for key in chosen} for row in data]
        )
        if output_format == "json":
            json.dump(list(rows), sys.stdout, ensure_ascii=False, indent=2, default=str)
            sys.stdout.write("\n")
        else:
            for row in rows:
                sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return
    keys = list(chosen if chosen is not None else default)
    cells = [[plain_text(row.get(key)) for key in keys] for row in data]
    if output_format == "table":
        table(keys, cells)
    elif output_format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(keys)
        writer.writerows(cells)
    else:
        for line in [keys, *cells]:
            sys.stdout.write("\t".join(_one_line(cell) for cell in line) + "\n")


def emit_row_pages(
    pages: Iterable[Sequence[Mapping[str, Any]]],
    human: Callable[[list[Mapping[str, Any]]], None],
    *,
    fields: Sequence[str],
    default: Sequence[str],
) -> None:
    """:func:`emit_rows` for rows that come a page at a time (``--all``): JSON lines,
    TSV and CSV are written as each page arrives, a JSON array too (one element after
    the other); a table needs every row for its widths, so ``human`` gets them all."""
    chosen = _chosen_fields(list(fields))
    output_format = state.format or (
        "json" if state.json else "table" if sys.stdout.isatty() else "tsv"
    )
    if output_format == "table":
        rows = [row for page in pages for row in page]
        if chosen is None:
            human(rows)
        else:
            table(chosen, [[plain_text(row.get(key)) for key in chosen] for row in rows])
        return
    keys = list(chosen if chosen is not None else default)
    writer: Any = None
    if output_format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(keys)
    elif output_format == "tsv":
        sys.stdout.write("\t".join(keys) + "\n")
    elif output_format == "json":
        sys.stdout.write("[")
    first = True
    for page in pages:
        for row in page:
            if output_format in ("json", "jsonl"):
                shown = row if chosen is None else {key: row.get(key) for key in chosen}
                text = json.dumps(shown, ensure_ascii=False, default=str)
                if output_format == "jsonl":
                    sys.stdout.write(text + "\n")
                else:
                    sys.stdout.write(("\n  " if first else ",\n  ") + text)
            elif writer is not None:
                writer.writerow([plain_text(row.get(key)) for key in keys])
            else:
                sys.stdout.write(
                    "\t".join(_one_line(plain_text(row.get(key))) for key in keys) + "\n"
                )
            first = False
        sys.stdout.flush()
    if output_format == "json":
        sys.stdout.write("]\n" if first else "\n]\n")


def _chosen_fields(fields: Sequence[str]) -> list[str] | None:
    """The ``--fields`` given, each checked against the command's ``fields``."""
    if state.fields is None:
        return None
    unknown = [name for name in state.fields if name not in fields]
    if unknown:
        raise typer.BadParameter(
            ngettext(
                "unknown field {names}: choose from {valid}",
                "unknown fields {names}: choose from {valid}",
                len(unknown),
            ).format(names=", ".join(unknown), valid=",".join(fields)),
            param_hint="--fields",
        )
    return state.fields


def plain_text(value: Any) -> str:
    """A JSON value as one cell of text: lists joined by commas, a person with an address
    as ``Name <address>``, other objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, dict) and set(value) == {"name", "address"}:
        return f"{value['name']} <{value['address']}>" if value["name"] else str(value["address"])
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(not isinstance(item, dict | list) for item in value):
        return ",".join(plain_text(item) for item in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return str(value)


def _one_line(cell: str) -> str:
    """A TSV cell: tabs and line breaks inside it become spaces."""
    return cell.replace("\r\n", " ").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def say(message: str) -> None:
    """A message for people (stderr), unless output is JSON-only."""
    if not state.json:
        console(stderr=True).print(message, highlight=False, markup=False)


def console(*, stderr: bool = False) -> Any:
    from rich.console import Console  # ~55 ms: only when drawing

    return Console(stderr=stderr, soft_wrap=False)


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    empty: str | None = None,
    wide: int | None = None,
    droppable: Sequence[int] = (),
) -> None:
    """A rich table on stdout; ``empty`` is said instead when there are no rows.

    With ``wide``, every row stays on one line: the other columns keep their natural
    width (at most 20) and column ``wide`` gets the rest, cut with an ellipsis. On a
    narrow terminal the ``droppable`` columns go, in that order, until it has 24.
    """
    from rich.table import Table

    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    if not cells and empty:
        say(empty)
        return
    out = console()
    keep = list(range(len(columns)))
    widths = [
        min(max([len(column)] + [len(row[index]) for row in cells]), 20)
        for index, column in enumerate(columns)
    ]
    if wide is not None:

        def spare() -> int:
            others = sum(widths[i] for i in keep if i != wide)
            width: int = out.width
            return width - others - 3 * (len(keep) - 1)

        for index in droppable:
            if spare() >= 24:
                break
            keep.remove(index)
        widths[wide] = max(8, min(spare(), max(len(row[wide]) for row in cells)))
    grid = Table(title=title, show_edge=False, header_style="bold", pad_edge=False)
    for index in keep:
        if wide is None:
            grid.add_column(columns[index], overflow="fold")
        else:
            grid.add_column(columns[index], no_wrap=True, overflow="ellipsis", width=widths[index])
    for row in cells:
        grid.add_row(*[row[index] for index in keep])
    out.print(grid)


def error_line(code: str, message: str) -> None:
    """Report an error: one line on stderr, and with ``--json`` an error object on stdout."""
    if state.json:
        json.dump({"error": {"code": code, "message": message}}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    sys.stderr.write(f"tix: {message}\n")
