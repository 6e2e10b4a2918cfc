"""A plain progress bar on stderr, shown only for runs longer than a couple of seconds."""
import sys
import time


class Progress:
    """``Progress(total, label)(done)`` redraws ``label [#####.....] done/total  12.3 s`` on
    stderr once ``delay`` seconds have passed; ``close()`` ends the line if one was drawn.
    When stderr is not a terminal (a log), it writes a full line at most every 10 s and at
    the end instead of redrawing."""

    def __init__(self, total, label, *, delay=2.0, stream=None, width=30):
        self.total, self.label, self.delay, self.width = max(int(total), 1), label, delay, width
        self.stream = sys.stderr if stream is None else stream
        self.t0 = time.perf_counter()
        self.shown = False
        self.last = 0.0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done, total=None):
        if total is not None:
            self.total = max(int(total), 1)
        elapsed = time.perf_counter() - self.t0
        if elapsed < self.delay and not self.shown:
            return
        filled = int(self.width * min(done, self.total) / self.total)
        bar = (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
               f"{done}/{self.total}  {elapsed:.1f} s")
        if self.tty:
            self.stream.write("\r" + bar)
            self.shown = True
        elif done >= self.total or elapsed - self.last >= 10:   # a log: a line every 10 s
            self.stream.write(bar + "\n")
            self.last = elapsed
        self.stream.flush()

    def close(self):
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False
