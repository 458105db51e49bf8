"""The command line: a thin click layer over the library, with the one error boundary.

Exit codes: 0 success (also when the reader of standard output goes away, as ``| head`` does);
2 bad input or usage (one line per problem, no traceback), or standard output that cannot be
written (full, closed); 1 a bug; 130 interrupted; 143 terminated (SIGTERM). An interruption
or a termination leaves no temporary file behind. A command's module is imported when the
command is asked for (:data:`lineage.cli.common.COMMANDS`).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable

import click

from lineage.cli.common import OutputClosed, cli
from lineage.model.errors import InputErrors, LineageError, UsageError
from lineage.report.escape import visible


class OutputFailed(UsageError):
    """Standard output cannot be written (a full disk, a closed descriptor): exit 2."""


class _GuardedStdout(io.RawIOBase):
    """File descriptor 1 as a raw stream whose failures are ours to report.

    Why: Python reports an error of the final flush as "Exception ignored" and click turns
    EPIPE into exit 1; as exceptions of our own, they reach the boundary in :func:`main`.
    After a failure everything is dropped, so that nothing is tried again at exit.
    """

    def __init__(self, closed: bool) -> None:
        super().__init__()
        self.failed = False
        self.was_closed = closed

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return 1

    def isatty(self) -> bool:
        return os.isatty(1)

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self.failed:
            return len(b)
        try:
            if self.was_closed:
                raise OSError(9, "standard output is closed")
            return os.write(1, b)
        except BrokenPipeError:
            self.failed = True
            raise OutputClosed from None
        except OSError as exc:
            self.failed = True
            raise OutputFailed(f"cannot write to standard output: {exc.strerror}") from None


def _guard_stdout() -> Callable[[], None]:
    """Route the process's own standard output through :class:`_GuardedStdout` (not when a
    caller, such as a test, has replaced ``sys.stdout``); returns what undoes it."""
    old = sys.stdout
    if old is not None and old is not sys.__stdout__:
        return lambda: None
    try:
        os.fstat(1)
        closed = False
    except OSError:  # started with stdout closed: hold descriptor 1, so no file we open gets it
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        closed = True
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_GuardedStdout(closed)),
        encoding=old.encoding if old else "utf-8", errors=old.errors if old else "strict",
        line_buffering=bool(old and old.line_buffering))

    def restore() -> None:
        sys.stdout = old

    return restore


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: temporary files are removed on the way out


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the single boundary between a user's mistake (exit 2) and a bug (exit 1)."""
    import signal

    restore = _guard_stdout()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = cli.main(args=argv, prog_name="lineage", standalone_mode=False)
        sys.stdout.flush()
    except click.exceptions.ClickException as exc:
        click.echo(visible(f"lineage: {exc.format_message()}"), err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(130)
    except InputErrors as exc:
        for line in exc.errors:
            click.echo(visible(str(line)), err=True)
        sys.exit(2)
    except LineageError as exc:
        click.echo(visible(f"lineage: {exc}"), err=True)
        sys.exit(2)
    except (BrokenPipeError, OutputClosed):
        import contextlib

        with contextlib.suppress(OSError, ValueError):  # not even the final flush
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception:
        import traceback

        traceback.print_exc()
        click.echo("lineage: internal error (this is a bug; please report it)", err=True)
        sys.exit(1)
    finally:
        signal.signal(signal.SIGTERM, previous)
        restore()
    sys.exit(code if isinstance(code, int) else 0)
