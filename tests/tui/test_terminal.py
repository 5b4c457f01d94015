"""``tix tui`` in a real terminal: tmux runs it on the demo helpdesk, we type at it."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.servers import require

TICKET_LINE = re.compile(r"^\S*\s+(1\d{3})\s+\d\s+\w+", re.MULTILINE)
"""A row of the list: mark, number, priority, status."""


class Terminal:
    """One tmux server of its own (own socket), one window."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"tixtest-{uuid.uuid4().hex[:12]}"
        self.env = env

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return result.stdout

    def start(self, command: str, width: int = 100, height: int = 30) -> None:
        self.tmux(
            "-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", str(height), command
        )

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", *keys)

    def wait_for(self, what: str, condition: Callable[[str], bool], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if condition(screen):
                return screen
            if "TIX-EXITED-" in screen:
                break  # tix has ended: it will not show it any more
            time.sleep(0.1)
        raise AssertionError(f"the terminal never showed {what}; it shows:\n{screen}")

    def kill(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"],
            env=self.env,
            capture_output=True,
            check=False,
        )


def tix_tui(url: str) -> list[str]:
    """``tix --db URL --as anna tui``, as a user types it.

    While ``tui`` is not yet listed in tix/cli/app.py, the same steps as
    tix/cli/commands/tui.py (Backend.open, TixApp.run) in a python -c."""
    from tix.cli.app import COMMANDS, GROUPS

    if "tui" in COMMANDS or "tui" in GROUPS:
        return [sys.executable, "-m", "tix", "--db", url, "--as", "anna", "tui"]
    script = (
        "import sys; from tix.core.config import load_settings; "
        "from tix.tui.app import TixApp; from tix.tui.backend import Backend; "
        "TixApp(Backend.open(load_settings(database_url=sys.argv[1]), 'anna')).run()"
    )
    return [sys.executable, "-c", script, url]


def test_tix_tui_shows_the_list_opens_a_ticket_and_quits(tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        require("tmux", "not installed (Debian: apt-get install tmux)")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "TIX_LANG": "en",
        "TIX_USER": "anna",
        "TIX_DATABASE_URL": url,
    }
    env.pop("TMUX", None)
    subprocess.run(
        [sys.executable, "-m", "tix", "--db", url, "demo", "--tickets", "40"],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    terminal = Terminal(env)
    # the shell stays after tix ends, so that its exit code can be read from the screen
    command = f"{shlex.join(tix_tui(url))}; echo TIX-EXITED-$?; sleep 60"
    try:
        terminal.start(command)

        def list_with_preview(screen: str) -> bool:
            numbers = TICKET_LINE.findall(screen)
            # ten rows, and the preview shows the first (the selected one)
            return len(numbers) >= 10 and f"#{numbers[0]}" in screen

        listed = terminal.wait_for("the ticket list and its preview", list_with_preview)
        assert "Anna Berger (anna)" in listed

        first = TICKET_LINE.findall(listed)[0]
        filter_bar = "Status: not closed"
        assert filter_bar in listed
        if importlib.util.find_spec("tix.tui.screens.ticket_view") is not None:
            terminal.keys("Enter")
            terminal.wait_for(
                f"the view of #{first}",
                lambda screen: filter_bar not in screen and f"#{first}" in screen,
            )
            terminal.keys("Escape")
            terminal.wait_for("the list again", list_with_preview)
            assert filter_bar in terminal.screen()

        terminal.keys("q")
        ended = terminal.wait_for("tix ending", lambda screen: "TIX-EXITED-" in screen)
        assert "TIX-EXITED-0" in ended, ended
    finally:
        terminal.kill()
