"""A progress bar for the command line: rows done, the share, and rows per second."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """Redraws one line on a terminal (stderr); prints nothing when stderr is not one, unless forced."""

    def __init__(self, label: str, *, stream=None, width: int = 30, force: bool = False):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.perf_counter()
        self.shown = force or getattr(self.stream, "isatty", lambda: False)()
        self.last = ""

    def __call__(self, done: int, total: int) -> None:
        if not self.shown:
            return
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        share = done / total if total else 1.0
        filled = int(self.width * share)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"\r{self.label:<10} [{bar}] {done:>8,}/{total:,} {done / elapsed:>9,.0f} rows/s"
        if line != self.last:
            self.stream.write(line)
            self.stream.flush()
            self.last = line

    def close(self) -> None:
        if self.shown and self.last:
            self.stream.write("\n")
            self.stream.flush()
