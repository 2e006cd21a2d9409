"""A small text progress bar for the command line (stderr), without a dependency."""

from __future__ import annotations

import time
from typing import TextIO

from django.utils.translation import gettext as _


class TextProgress:
    """``bar(stage, done, total)`` redraws one line per stage.

    On a terminal the line is redrawn in place (``\\r``) at most every ``interval`` seconds; in a
    log file it is written once per tenth of the way, so logs stay short."""

    def __init__(self, stream: TextIO, *, width: int = 30, interval: float = 0.1) -> None:
        self.stream = stream
        self.width = width
        self.interval = interval
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._stage = ""
        self._last_draw = 0.0
        self._last_tenth = -1

    def _label(self, stage: str) -> str:
        return {"check": _("Checking"), "import": _("Importing")}.get(stage, stage)

    def line(self, stage: str, done: int, total: int) -> str:
        pct = 100 * done // total if total else 100
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        return f"{self._label(stage)} [{bar}] {pct:3d}% {done:,}/{total:,}"

    def __call__(self, stage: str, done: int, total: int) -> None:
        new_stage = stage != self._stage
        if new_stage and self._stage and self.tty:
            self.stream.write("\n")
        if new_stage:
            self._stage, self._last_tenth, self._last_draw = stage, -1, 0.0
        finished = done >= total
        tenth = 10 * done // total if total else 10
        now = time.monotonic()
        if self.tty:
            if not finished and not new_stage and now - self._last_draw < self.interval:
                return
            self.stream.write("\r" + self.line(stage, done, total))
        else:
            if tenth == self._last_tenth:
                return
            self.stream.write(self.line(stage, done, total) + "\n")
        self._last_draw, self._last_tenth = now, tenth
        self.stream.flush()

    def close(self) -> None:
        if self._stage and self.tty:
            self.stream.write("\n")
            self.stream.flush()
