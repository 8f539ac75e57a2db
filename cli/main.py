"""The `sieve` command. Every expected failure is one line on stderr, never a traceback:
exit 1 for a failed validation, 2 for usage, settings or connection problems."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import click
import redis

from cli import admin, convert, datasets, serve, upload, webhooks
from cli.client import CliError
from cli.instance import NoInstanceError
from store.settings import SettingError


def _version() -> str:
    try:
        return version("sieve")
    except PackageNotFoundError:
        return "unknown"


class SieveGroup(click.Group):
    """Turns the errors a person can act on into one line each."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SettingError, NoInstanceError) as exc:
            raise CliError(str(exc)) from exc
        except redis.RedisError as exc:
            raise CliError(
                f"Redis is unreachable ({type(exc).__name__}): is `sieve up` running, "
                "or is REDIS_URL right?"
            ) from exc


@click.group(cls=SieveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", prog_name="sieve")
def cli() -> None:
    """Sieve: a self-hosted Datasets service that speaks Cohere's Datasets API."""


for module in (serve, upload, datasets, webhooks, convert, admin):
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="sieve", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
