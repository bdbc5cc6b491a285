"""Progress of long work, readable on a terminal and in a log file alike.

On a terminal the line is rewritten in place; elsewhere (a log, a pipe) a plain line is
written at every tenth of the work, so a log holds no control characters.
"""

import sys
import time


class Progress:
    """``label: done/total unit`` with the elapsed time and an estimate of the time left."""

    def __init__(self, total, label, unit="", stream=None):
        self.total = total
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self.tenths = -1
        self.written = 0.0

    def _line(self, done):
        elapsed = time.perf_counter() - self.started
        line = f"{self.label}: {done}" + (f"/{self.total}" if self.total else "")
        line += f" {self.unit}" if self.unit else ""
        line += f", {elapsed:.0f} s"
        if self.total and 0 < done < self.total:
            line += f", about {elapsed * (self.total - done) / done:.0f} s left"
        return line

    def update(self, done):
        if self.stream.isatty():
            finished = bool(self.total) and done >= self.total
            if not finished and time.perf_counter() - self.written < 0.2:
                return
            self.written = time.perf_counter()
            self.stream.write("\r" + self._line(done) + ("\n" if finished else ""))
        else:
            tenths = int(10 * done / self.total) if self.total else done // 1000
            if tenths == self.tenths:
                return
            self.tenths = tenths
            self.stream.write(self._line(done) + "\n")
        self.stream.flush()


def announced(runs, label="sweep", stream=None):
    """Iterate over ``runs`` (``(name, item)`` pairs), saying before each one which run of how
    many it is, the time elapsed and an estimate of the time left."""
    runs = list(runs)
    stream = stream or sys.stdout
    started = time.perf_counter()
    for index, (name, item) in enumerate(runs):
        elapsed = time.perf_counter() - started
        left = f", about {elapsed / index * (len(runs) - index):.0f} s left" if index else ""
        stream.write(f"{label}: run {index + 1} of {len(runs)} ({name}), {elapsed:.0f} s elapsed{left}\n")
        stream.flush()
        yield name, item
