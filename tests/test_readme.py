"""The README runs as written.

- Its install line ("Try it") and its test line ("Run the tests") run literally, in a
  copy of the checkout, in a fresh HOME, with nothing on the PATH but the system's
  Python (Debian's, which refuses ``pip install`` into itself).
- Every other shell block (``bash``, and ``cron`` lines without their schedule) runs in
  order in one shell, on the demo database first, with ``tix`` on the PATH. Lines that
  need a mail server reach the test servers through the substitutions named in
  :func:`_test_servers`. Sections whose blocks need a real provider or a person at a
  browser are named in :data:`NOT_RUN`, with the reason.
- The configuration example is a config file tix accepts, and the configuration table
  names every key tix knows.

``ini`` (a systemd unit), ``text`` (the command synopsis) and the form's ``toml`` are
not shell and are not run.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import DovecotServer, SmtpServer, require

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^( *)```(\w*)\s*$")
#: The README's mail password (``export SUPPORT_MAIL_PASSWORD=...``), taken at its word.
README_PASSWORD = "..."
README_ADDRESS = "support@example.com"
#: README sections (by heading) whose blocks are not run, and why. Keep it short.
NOT_RUN = {
    "Microsoft 365": "signs in at Microsoft 365: a real tenant and a person at a browser",
    "Google (Gmail, Google Workspace)": "signs in at Google: a real account and a browser",
}


@dataclass
class Block:
    language: str
    text: str
    line: int
    """Line of the opening fence (1-based)."""
    heading: str
    """The ``##`` section it is in."""
    section: str
    """The innermost section (``##`` to ``######``) it is in."""


def readme_blocks() -> list[Block]:
    lines = README.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    heading = section = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        title = re.match(r"(#{2,6}) (.*)", line)
        if title:
            section = title.group(2).strip()
            if len(title.group(1)) == 2:
                heading = section
        opening = FENCE.match(line)
        if opening:
            indent, language = opening.groups()
            body: list[str] = []
            index += 1
            while index < len(lines) and lines[index].strip() != "```":
                body.append(lines[index][len(indent) :])
                index += 1
            blocks.append(
                Block(
                    language=language,
                    text="\n".join(body) + "\n",
                    line=index - len(body),
                    heading=heading,
                    section=section,
                )
            )
        index += 1
    return blocks


def is_install(block: Block) -> bool:
    """A "Try it" block that installs tix (run by the install test, not in the shell)."""
    return block.heading == "Try it" and " install " in block.text


def test_the_readme_has_the_blocks_these_tests_expect() -> None:
    blocks = readme_blocks()
    installs = [block for block in blocks if is_install(block)]
    assert [block.text.split()[0] for block in installs] == ["pipx", "python3"]
    [tests] = [block for block in blocks if block.heading == "Run the tests"]
    assert tests.text == "scripts/test\n"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'exec scripts/test "$@"' in ci  # CI runs exactly the README's test line


# --- Every tix line, in order ----------------------------------------------------------


def _tix_on_path(folder: Path) -> Path:
    """A folder with a ``tix`` command that runs this checkout with this interpreter."""
    folder.mkdir()
    script = folder / "tix"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m tix "$@"\n')
    script.chmod(0o755)
    return folder


def _test_servers(dovecot: DovecotServer, smtp: SmtpServer) -> dict[str, str]:
    """What the README's mail lines name, and the test servers that stand in for it."""
    return {
        "--imap-host imap.example.com": (
            f"--imap-host {dovecot.host} --imap-port {dovecot.tls_port}"
        ),
        "--smtp-host smtp.example.com": f"--smtp-host {smtp.host} --smtp-port {smtp.port}",
        # the test SMTP server speaks no TLS
        "--smtp-tls starttls": "--smtp-tls none",
        # folders a newcomer's machine may not have or let them write
        "/var/backups/": "",
        "/var/log/tix/": "",
    }


def _shell_lines(block: Block) -> str:
    if block.language == "cron":
        # "* * * * *  tix worker ..." -> "tix worker ..."
        return "".join(
            line.split(None, 5)[5] + "\n" if line.strip() and not line.startswith("#") else ""
            for line in block.text.splitlines()
        )
    return block.text


def test_every_readme_command_runs_in_order(tmp_path: Path, dovecot: DovecotServer) -> None:
    if shutil.which("jq") is None:
        require("jq", "not installed (run scripts/install-deps as root, or apt-get install jq)")
    if not dovecot.has_user(README_ADDRESS):
        dovecot.add_user(README_ADDRESS, README_PASSWORD)
    # A customer's mail waits in the support mailbox for `tix mail sync`.
    dovecot.deliver(
        README_ADDRESS,
        b"From: Maria Roth <maria@kunde.de>\r\nTo: support@example.com\r\n"
        b"Subject: Pumpe P-400 tropft\r\nMessage-ID: <readme-1@kunde.de>\r\n"
        b"Date: Sun, 06 Dec 2026 09:00:00 +0100\r\n\r\nSie tropft seit gestern.\r\n",
    )
    smtp = SmtpServer(auth=(README_ADDRESS, README_PASSWORD)).start()
    try:
        # The demo with fewer tickets than `tix demo` makes (the install test runs that).
        parts = ["PS4='+ [${SECONDS}s] '; set -eo pipefail -x", "tix demo --tickets 40"]
        for block in readme_blocks():
            if block.language not in ("bash", "sh", "cron") or is_install(block):
                continue
            if block.heading == "Run the tests":
                continue  # run by the install test
            if block.section in NOT_RUN:
                continue
            text = _shell_lines(block)
            for readme, test in _test_servers(dovecot, smtp).items():
                text = text.replace(readme, test)
            parts.append(f": README.md line {block.line}, {block.heading}\n{text}")
        work = tmp_path / "work"
        work.mkdir()
        env = {
            "HOME": str(tmp_path),
            "PATH": f"{_tix_on_path(tmp_path / 'bin')}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LOGNAME": getpass.getuser(),
            "TERM": "dumb",
            "COLUMNS": "120",
            "SSL_CERT_FILE": str(dovecot.cert_path),  # trust the test IMAP server's TLS
        }
        result = subprocess.run(
            ["bash", "-c", "\n".join(parts)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, "\n".join(result.stderr.splitlines()[-40:])

        # What the commands did, as the README says.
        assert "IMAP: ok" in result.stderr and "SMTP: ok" in result.stderr  # tix account test
        assert "support: 1 imported (1 new ticket)," in result.stderr  # tix mail sync
        [acknowledgement] = smtp.wait_for(1)  # tix mail send, with the channel's --ack
        assert acknowledgement.rcpt_tos == ["maria@kunde.de"]
        demo = f"sqlite:///{tmp_path}/.local/share/tix/tix.db"
        helpdesk = f"sqlite:///{tmp_path}/helpdesk.db"

        def tix(url: str, *args: str) -> Any:
            done = subprocess.run(
                [sys.executable, "-m", "tix", "--db", url, "--as", "anna", *args, "--json"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(done.stdout)

        notes = [
            a for a in tix(demo, "ticket", "show", "1001")["activities"] if a["kind"] == "note"
        ]
        assert any(note["body"] == "Ersatzteil ist bestellt" for note in notes)
        [disk] = tix(helpdesk, "ticket", "list", "--search", "db1")
        assert disk["owner"] == "anna"  # the change with --if-version
        [invoice] = tix(helpdesk, "document", "list")
        assert (work / f"{invoice['number']}.xlsx").is_file()
        assert [p.name for p in work.glob("tix-*.db")] and [p.name for p in work.glob("times-*")]
        assert json.loads((work / "worker.log").read_text())  # tix worker --once --json
    finally:
        smtp.stop()


# --- Configuration ---------------------------------------------------------------------


def test_the_configuration_example_is_accepted_and_the_table_names_every_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tix.core.config import ENVIRONMENT, KEYS, load_settings

    [example] = [
        b for b in readme_blocks() if b.heading == "Configuration" and b.language == "toml"
    ]
    config = tmp_path / "config.toml"
    config.write_text(example.text, encoding="utf-8")
    monkeypatch.setenv("TIX_CONFIG", str(config))
    for variable in ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    settings = load_settings()
    assert (settings.language, settings.timezone) == ("de", "Europe/Berlin")

    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1]
    rows = [
        line.replace("`|`", "`bar`").split("|")[1:-1]  # a | in code is no column
        for line in section.splitlines()
        if line.startswith("| ")
    ]
    header, *settings_rows = rows
    assert [cell.strip() for cell in header] == [
        "setting",
        "environment",
        "config file key",
        "default",
    ]
    keys = {cell.strip(" `") for _setting, _env, cell, _default in settings_rows} - {""}
    assert keys == set(KEYS)
    variables = " ".join(env for _setting, env, _key, _default in settings_rows)
    assert all(f"`{variable}`" in variables for variable in ENVIRONMENT.values())


# --- Install and test lines, literally ---------------------------------------------------


def _fresh_clone(target: Path) -> Path:
    """A copy of the checkout as a clone has it: what git tracks or would track."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split(b"\0")):
        source = ROOT / os.fsdecode(name)
        if source.is_file():  # not one deleted in the work tree
            copy = target / os.fsdecode(name)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
    return target


def test_try_it_and_the_test_line_run_as_written_with_the_system_python(
    tmp_path: Path,
) -> None:
    """pipx installs tix, the demo fills its database, the TUI shows it; then the test
    line makes a venv for the test extras, lints, type-checks and runs one small test
    file of the suite. Two to three minutes: both install every dependency."""
    from tests.tui.test_terminal import TICKET_LINE, Terminal

    system_python = Path("/usr/bin/python3")
    if not system_python.exists():
        require("the system's Python", "no /usr/bin/python3 (apt-get install python3)")
    for tool in ("pipx", "tmux", "git"):
        if shutil.which(tool) is None:
            require(
                tool, f"not installed (run scripts/install-deps as root, or apt-get install {tool})"
            )
    blocks = readme_blocks()
    try_it = next(block for block in blocks if is_install(block))
    [tests] = [block for block in blocks if block.heading == "Run the tests"]
    clone = _fresh_clone(tmp_path / "tix")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        # the system's Python and pipx's bin folder (Debian's ~/.profile adds it)
        "PATH": f"{home}/.local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LOGNAME": getpass.getuser(),
        "TERM": "xterm-256color",
        # this machine's package index (pip's own settings), and CI's strictness
        **{k: v for k, v in os.environ.items() if k.startswith("PIP_") or k == "CI"},
    }

    terminal = Terminal(env)
    command = f"cd {shlex.quote(str(clone))} && bash -c {shlex.quote(try_it.text)}"
    try:
        terminal.start(f"{command}; echo TIX-EXITED-$?; sleep 120", width=120, height=40)
        terminal.wait_for(
            "the demo's tickets in the TUI",
            lambda screen: len(TICKET_LINE.findall(screen)) >= 10,
            timeout=400,
        )
        terminal.keys("q")
        ended = terminal.wait_for("tix ending", lambda screen: "TIX-EXITED-" in screen)
        assert "TIX-EXITED-0" in ended, ended
    finally:
        terminal.kill()
    # pipx made tix a venv of the system's Python
    venv = (home / ".local" / "bin" / "tix").resolve().parent.parent
    assert "home = /usr/bin\n" in (venv / "pyvenv.cfg").read_text()

    result = subprocess.run(
        ["bash", "-c", tests.text],
        cwd=clone,
        env={
            **env,
            # the README's line as it is; pytest is only narrowed to one small file here
            "PYTEST_ADDOPTS": "tests/core/test_timeparse.py -p no:cacheprovider",
        },
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "refuses pip: making a virtual environment in .venv" in result.stderr
    assert (clone / ".venv" / "bin" / "python").exists()
    assert re.search(r"=+ \d+ passed in ", result.stdout), result.stdout[-2000:]
