"""Operator commands that talk to Redis directly: `sieve keys ...`, `sieve status` (which asks
the server instead when only SIEVE_URL is set).

With no REDIS_URL they reach the local instance's embedded server through its data
directory (see cli/instance.py)."""

from __future__ import annotations

import json
import os

import click

from cli.instance import with_local_redis
from store import Stores, open_stores
from store.settings import Settings


def _stores() -> Stores:
    return open_stores(with_local_redis(Settings.from_env(), os.environ))


@click.group()
def keys() -> None:
    """Manage API keys (one organization per key)."""


@keys.command("create")
@click.option("--org", required=True, help="The organization the key belongs to.")
def keys_create(org: str) -> None:
    """Print a new API key for ORG (nothing else, so it can be captured)."""
    click.echo(_stores().api_keys.create(org))


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
def keys_list(as_json: bool) -> None:
    """Organizations and key fingerprints (keys are stored only as hashes)."""
    found = _stores().api_keys.list()
    if as_json:
        click.echo(json.dumps([{"org": k.org, "fingerprint": k.fingerprint} for k in found]))
        return
    for key in found:
        click.echo(f"{key.fingerprint}  {key.org}")
    if not found:
        click.echo("no keys yet: sieve keys create --org NAME", err=True)


@keys.command("revoke")
@click.argument("key")
def keys_revoke(key: str) -> None:
    """Revoke KEY (the key itself, or the fingerprint `keys list` shows) at once."""
    from cli.client import CliError

    if not _stores().api_keys.revoke(key):
        raise CliError("no such key", exit_code=1)
    click.echo("revoked", err=True)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def status(as_json: bool) -> None:
    """Queue depth, tasks in progress, workers alive and datasets by status. With Redis at
    hand (REDIS_URL, or the local instance): every organization's; with only SIEVE_URL set,
    what that server's GET /v1/status tells your API key."""
    report = _remote_status() if _only_a_url() else _local_status()
    if as_json:
        click.echo(json.dumps(report))
        return
    by_status = ", ".join(f"{k} {v}" for k, v in report["datasets_by_status"].items()) or "none"
    alive = report["workers_alive"]
    names = "" if isinstance(alive, int) else " " + " ".join(alive)
    count = alive if isinstance(alive, int) else len(alive)
    click.echo(f"queue depth:          {report['queue_depth']}")
    click.echo(f"tasks in progress:    {report['tasks_in_progress']}")
    click.echo(f"awaiting redelivery:  {report['awaiting_redelivery']}")
    click.echo(f"workers alive:        {count}{names}")
    click.echo(f"datasets:             {by_status}")


def _only_a_url() -> bool:
    return bool(os.environ.get("SIEVE_URL")) and not os.environ.get("REDIS_URL")


def _local_status() -> dict:
    from workers.celery_app import create_celery
    from workers.status import system_status

    stores = _stores()
    return system_status(stores, create_celery(stores.settings))


def _remote_status() -> dict:
    from cli.client import SieveClient

    return SieveClient(os.environ["SIEVE_URL"], os.environ.get("SIEVE_API_KEY")).status()


COMMANDS = (keys, status)
