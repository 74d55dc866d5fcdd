"""The ``xpuplan`` command line: thin shells over the library.

Each command parses its flags, calls one public function, renders the result and lets
:class:`~xpuplan.errors.XpuplanError` propagate to :func:`run`, which prints it as one line
and returns exit code 2 for bad input (or an interrupt) and 3 when valid constraints leave no
plan (:class:`~xpuplan.errors.InfeasibleError`).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator, Sequence

import typer

from xpuplan._version import __version__
from xpuplan.cli import catalog as _catalog
from xpuplan.cli import compare as _compare
from xpuplan.cli import estimate_serve as _estimate_serve
from xpuplan.cli import estimate_train as _estimate_train
from xpuplan.cli import export as _export
from xpuplan.cli import model as _model
from xpuplan.cli import plan as _plan
from xpuplan.cli import validate as _validate
from xpuplan.cli.common import (
    check_argv_numbers,
    err_console,
    expand_request_files,
    flag_names,
    take_format,
)
from xpuplan.errors import InfeasibleError, XpuplanError

__all__ = ["EXIT_BAD_INPUT", "EXIT_INFEASIBLE", "app", "main", "run"]

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
_CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="xpuplan",
    help="Vendor-neutral planner for AI compute: chip, cloud, region and layout, "
    "at what cost, time, energy and CO2.",
    no_args_is_help=True,
    context_settings=_CONTEXT,
    pretty_exceptions_enable=False,
)
estimate_app = typer.Typer(
    help="Estimate one concrete training or serving setup.",
    no_args_is_help=True,
    context_settings=_CONTEXT,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"xpuplan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Print the version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Vendor-neutral planner for AI compute: chip, cloud, region and layout, at what cost,
    time, energy and CO2."""


estimate_app.command("train")(_estimate_train.train)
estimate_app.command("serve")(_estimate_serve.serve)

app.add_typer(_catalog.app, name="catalog")
app.add_typer(_model.app, name="model")
app.add_typer(estimate_app, name="estimate")
app.add_typer(_plan.app, name="plan")
app.command("validate")(_validate.validate)
app.command("compare")(_compare.compare)
app.command("export")(_export.export)


class _Interrupted(BaseException):
    """Ctrl-C, raised by our SIGINT handler: not a KeyboardInterrupt, so click does not turn
    it into its own "Aborted!" and exit code."""


def _on_sigint(signum: int, frame: object) -> None:
    raise _Interrupted


@contextlib.contextmanager
def _sigint_as_error() -> Iterator[None]:
    """Route Ctrl-C to :class:`_Interrupted` while a command runs (main thread only)."""
    try:
        previous = signal.signal(signal.SIGINT, _on_sigint)
    except ValueError:  # not the main thread: leave the handler alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _fail(message: str, code: int) -> int:
    err_console.print(
        f"error: {flag_names(message)}", markup=False, highlight=False, soft_wrap=True
    )
    return code


def run(argv: Sequence[str]) -> int:
    """Run the CLI on ``argv`` and return the exit code (0 ok, 2 bad input or interrupted,
    3 no plan meets the constraints)."""
    try:
        with _sigint_as_error():
            args = expand_request_files(argv)
            check_argv_numbers(args)
            app(args=take_format(args), prog_name="xpuplan")
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except InfeasibleError as error:
        return _fail(str(error), EXIT_INFEASIBLE)
    except XpuplanError as error:
        return _fail(str(error), EXIT_BAD_INPUT)
    except (KeyboardInterrupt, _Interrupted):
        return _fail("interrupted", EXIT_BAD_INPUT)
    return 0


def main() -> None:
    """The console script: run the CLI on the process's arguments and exit with its code."""
    try:
        code = run(sys.argv[1:])
    except KeyboardInterrupt:  # an interrupt while the error line itself was printed
        code = EXIT_BAD_INPUT
    sys.exit(code)
