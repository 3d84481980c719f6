"""Progress for long commands: a live line on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

log = logging.getLogger("borderwatch")


class Progress:
    """Counts work done; redraws one line on a TTY, logs at most every few seconds elsewhere."""

    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = time.monotonic()

    def advance(self, amount: int = 1, note: str = "") -> None:
        self.done += amount
        now = time.monotonic()
        if self.interactive:
            if now - self._last >= 0.1:
                self._draw(note)
                self._last = now
        elif now - self._last >= 5:
            log.info("%s: %s", self.label, self._figures(note))
            self._last = now

    def finish(self, note: str = "") -> None:
        if self.interactive:
            self._draw(note)
            self.stream.write("\n")
            self.stream.flush()
        else:
            log.info("%s: %s", self.label, self._figures(note))

    def _figures(self, note: str) -> str:
        text = f"{self.done}/{self.total}" if self.total else str(self.done)
        return f"{text} {note}".strip()

    def _draw(self, note: str) -> None:
        bar = ""
        if self.total:
            filled = int(30 * min(self.done, self.total) / self.total)
            bar = "[" + "#" * filled + "." * (30 - filled) + "] "
        self.stream.write(f"\r{self.label}: {bar}{self._figures(note)}\x1b[K")
        self.stream.flush()
