"""What the people-facing commands share: --url / --api-key and the create options."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cli.client import SieveClient
from cli.instance import data_dir, instance_url, saved_api_key
from store.settings import Settings, parse_size
from validators.registry import supported_types

DEFAULT_URL = "http://127.0.0.1:8000"
EXISTING_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


class _Size(click.ParamType):
    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a size (bytes, or 64MiB, 1.5GB, ...)", param, ctx)


SIZE = _Size()


def _default_url() -> str:
    return instance_url(data_dir(Settings.from_env())) or DEFAULT_URL


def _default_key() -> str | None:
    return saved_api_key(data_dir(Settings.from_env()))


def client_options(command: Callable) -> Callable:
    """--url and --api-key, defaulting to the environment, then to the local instance."""

    @click.option("--url", envvar="SIEVE_URL", help="Sieve's URL [SIEVE_URL; local instance]")
    @click.option("--api-key", envvar="SIEVE_API_KEY", help="[SIEVE_API_KEY; local instance's]")
    @functools.wraps(command)
    def wrapper(url: str | None, api_key: str | None, **kwargs: Any) -> Any:
        client = SieveClient(url or _default_url(), api_key or _default_key())
        return command(client, **kwargs)

    return wrapper


def create_options(command: Callable) -> Callable:
    """The create options shared by `upload` and `check`."""
    options = [
        click.option("--type", "dataset_type", required=True, type=click.Choice(supported_types())),
        click.option("--eval-data", type=EXISTING_FILE, help="A separate evaluation file."),
        click.option("--keep-field", multiple=True, help="Keep this field (every row has it)."),
        click.option("--optional-field", multiple=True, help="Keep this field where present."),
        click.option("--skip-malformed", is_flag=True, help="Drop bad rows instead of failing."),
        click.option("--delimiter", help="CSV delimiter (one character; default ,)."),
        click.option("--text-separator", help="Splits .txt files into rows (default: newline)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def create_params(
    dataset_type: str,
    keep_field: tuple[str, ...],
    optional_field: tuple[str, ...],
    skip_malformed: bool,
    delimiter: str | None,
    text_separator: str | None,
) -> dict[str, Any]:
    params: dict[str, Any] = {"type": dataset_type}
    for name, value in (
        ("keep_fields", list(keep_field)),
        ("optional_fields", list(optional_field)),
        ("skip_malformed_input", "true" if skip_malformed else None),
        ("csv_delimiter", delimiter),
        ("text_separator", text_separator),
    ):
        if value:
            params[name] = value
    return params
