"""The progress bar: silent for short runs, one redrawn line on a terminal, plain lines in a
log."""
import io

from rmtland._progress import Progress


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_silent_before_delay():
    s = io.StringIO()
    bar = Progress(10, "x", delay=60, stream=s)
    bar(5)
    bar.close()
    assert s.getvalue() == ""


def test_terminal_redraws_one_line():
    s = _Tty()
    bar = Progress(4, "run", delay=0, stream=s)
    for k in range(1, 5):
        bar(k)
    bar.close()
    out = s.getvalue()
    assert out.count("\r") == 4 and out.endswith("\n") and out.count("\n") == 1
    assert "4/4" in out and "#" * 30 in out


def test_log_gets_full_lines_only():
    s = io.StringIO()
    bar = Progress(3, "run", delay=0, stream=s)
    for k in range(1, 4):
        bar(k)
    bar.close()
    lines = s.getvalue().splitlines()
    assert "\r" not in s.getvalue() and lines[-1].startswith("run [") and "3/3" in lines[-1]
