"""The commands that run Sieve: `sieve up` (everything, on one machine) and the three process
types a Procfile or a container runs: `sieve web`, `sieve worker`, `sieve beat`."""

from __future__ import annotations

from pathlib import Path

import click

from cli.launcher import UpOptions, run_everything
from cli.processes import (
    CELERY_APP,
    WEB_APP,
    beat_arguments,
    run_celery,
    run_web,
    serve_worker_metrics,
    worker_arguments,
)
from store.settings import Settings

PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=0, type=click.IntRange(0), help="Worker processes (0: one per core)."
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where records, files, keys and logs live (default: SIEVE_DATA_DIR).",
)
@click.option("--verbose", is_flag=True, help="Show the processes' own logs here.")
def up(host: str, port: int, workers: int, data_dir: Path | None, verbose: bool) -> None:
    """Run the whole service here: web, worker, beat, and Redis unless REDIS_URL is set."""
    root = (data_dir or Path(Settings.from_env().data_dir)).expanduser().resolve()
    raise SystemExit(run_everything(UpOptions(host, port, workers, root, verbose)))


@click.command()
@click.option("--host", help="Address to listen on (default: HOST, else 0.0.0.0).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: PORT, else 8000).")
@click.option("--app", default=WEB_APP, hidden=True, help="Another WSGI app (the benchmark's).")
def web(host: str | None, port: int | None, app: str) -> None:
    """The web process: gunicorn serving the API."""
    settings = Settings.from_env()
    run_web(settings, host or settings.host, port or settings.port, app)


@click.command(context_settings=PASS_THROUGH)
@click.option("--app", default=CELERY_APP, hidden=True, help="Another Celery app (tests).")
@click.pass_context
def worker(ctx: click.Context, app: str) -> None:
    """A worker process: Celery validating chunks. Extra options go to `celery worker`."""
    settings = Settings.from_env()
    serve_worker_metrics(settings)
    run_celery(worker_arguments(settings, ctx.args), app)


@click.command(context_settings=PASS_THROUGH)
@click.pass_context
def beat(ctx: click.Context) -> None:
    """The beat process (exactly one): retention and the sweep of abandoned uploads."""
    run_celery(beat_arguments(Settings.from_env(), ctx.args))


COMMANDS = (up, web, worker, beat)
