"""`sieve up`, `sieve keys create|revoke`."""

from __future__ import annotations

import argparse
import json
import sys

from store import open_stores
from store.settings import Settings


def _keys_create(args: argparse.Namespace) -> int:
    stores = open_stores(Settings.from_env())
    print(stores.api_keys.create(args.org))
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    stores = open_stores(Settings.from_env())
    if not stores.api_keys.revoke(args.key):
        print("no such key", file=sys.stderr)
        return 1
    print("revoked", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    from workers.celery_app import create_celery
    from workers.status import system_status

    settings = Settings.from_env()
    status = system_status(open_stores(settings), create_celery(settings))
    if args.json:
        print(json.dumps(status))
        return 0
    print(f"queue depth:        {status['queue_depth']}")
    print(f"tasks in progress:  {status['tasks_in_progress']}")
    print(f"workers alive:      {len(status['workers_alive'])} {' '.join(status['workers_alive'])}")
    by_status = ", ".join(f"{k} {v}" for k, v in status["datasets_by_status"].items()) or "none"
    print(f"datasets:           {by_status}")
    return 0


def _up(args: argparse.Namespace) -> int:
    from cli.launcher import run_everything

    return run_everything(port=args.port, workers=args.workers, data_dir=args.data_dir)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sieve", description="Sieve datasets service")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run web, worker and beat (and Redis if none is set)")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--workers", type=int, default=0, help="worker processes (0: one per core)")
    up.add_argument("--data-dir", default=".sieve-data", help="where local state lives")
    up.set_defaults(handler=_up)

    status = commands.add_parser("status", help="queue depth, workers alive, datasets by status")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(handler=_status)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="action", required=True
    )
    create = keys.add_parser("create", help="print a new API key for an organization")
    create.add_argument("--org", required=True)
    create.set_defaults(handler=_keys_create)
    revoke = keys.add_parser("revoke", help="revoke an API key immediately")
    revoke.add_argument("key")
    revoke.set_defaults(handler=_keys_revoke)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
