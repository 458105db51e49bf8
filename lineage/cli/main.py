"""The command line: a thin click layer over the library, with the one error boundary.

Exit codes: 0 success; 2 bad input or usage (one line per problem, no traceback); 1 a bug.
Importing the command modules registers their commands on the ``lineage`` group.
"""

from __future__ import annotations

import sys

import click

from lineage.cli import checks, cite, hub, io, plot, query, render  # noqa: F401  (register the commands)
from lineage.cli.common import OutputClosed, cli


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the single boundary between a user's mistake (exit 2) and a bug (exit 1)."""
    from lineage.model.errors import InputErrors, LineageError

    try:
        code = cli.main(args=argv, prog_name="lineage", standalone_mode=False)
    except click.exceptions.ClickException as exc:
        click.echo(f"lineage: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(130)
    except InputErrors as exc:
        for line in exc.errors:
            click.echo(str(line), err=True)
        sys.exit(2)
    except LineageError as exc:
        click.echo(f"lineage: {exc}", err=True)
        sys.exit(2)
    except (BrokenPipeError, OutputClosed):
        import contextlib
        import os

        with contextlib.suppress(OSError, ValueError):  # not even the final flush
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception:
        import traceback

        traceback.print_exc()
        click.echo("lineage: internal error (this is a bug; please report it)", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
