"""`sieve webhooks ...`: the endpoints that hear about verdicts (POST /v1/webhooks and co.).

The secret a receiver verifies signatures with is printed once, by `add`."""

from __future__ import annotations

import json
from typing import Any

import click

from cli.client import SieveClient
from cli.options import client_options
from cli.shown import show_listing
from store.webhooks import EVENTS


@click.group()
def webhooks() -> None:
    """Add, list, test and delete webhooks; see their deliveries."""


@webhooks.command("add")
@click.argument("endpoint", metavar="URL")
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(EVENTS),
    help="An event to send (repeat it; default: all).",
)
@click.option("--json", "as_json", is_flag=True, help="The webhook as JSON.")
@client_options
def webhooks_add(
    client: SieveClient, endpoint: str, events: tuple[str, ...], as_json: bool
) -> None:
    """Send a signed POST to URL when one of your datasets is validated or fails."""
    body = {"url": endpoint, **({"events": list(events)} if events else {})}
    webhook = client.call("POST", "/v1/webhooks", json=body)["webhook"]
    if as_json:
        click.echo(json.dumps(webhook))
        return
    click.echo(f"added {webhook['id']}: {webhook['url']} ({', '.join(webhook['events'])})")
    click.echo(f"secret: {webhook['secret']}")
    click.echo("Keep the secret now: it is not shown again. Receivers verify webhook-signature")
    click.echo("with it (the standardwebhooks package: Webhook(secret).verify(body, headers)).")


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@client_options
def webhooks_list(client: SieveClient, as_json: bool) -> None:
    """Your organization's webhooks."""
    found = client.call("GET", "/v1/webhooks")["webhooks"]
    empty = "no webhooks: add one with `sieve webhooks add URL`"
    show_listing(found, as_json, empty, f"{'ID':<28} {'EVENTS':<34} URL", _webhook_line)


def _webhook_line(webhook: dict[str, Any]) -> str:
    state = f"  [disabled: {webhook['disabled']}]" if webhook.get("disabled") else ""
    return f"{webhook['id']:<28} {','.join(webhook['events']):<34} {webhook['url']}{state}"


@webhooks.command("deliveries")
@click.argument("webhook_id")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@client_options
def webhooks_deliveries(client: SieveClient, webhook_id: str, as_json: bool) -> None:
    """The latest attempts to deliver to WEBHOOK_ID, newest first."""
    found = client.call("GET", f"/v1/webhooks/{webhook_id}/deliveries")["deliveries"]
    header = f"{'WHEN':<28} {'EVENT':<18} {'TRY':>3} {'OUTCOME':<10} ANSWER"
    show_listing(found, as_json, "no deliveries yet", header, _delivery_line)


def _delivery_line(item: dict[str, Any]) -> str:
    answer = str(item["status_code"]) if item.get("status_code") else item.get("error", "")
    if item.get("next_attempt_at"):
        answer += f" (next try {item['next_attempt_at']})"
    return (
        f"{item['attempted_at']:<28} {item['event']:<18} {item['attempt']:>3} "
        f"{item['outcome']:<10} {answer}"
    )


@webhooks.command("test")
@click.argument("webhook_id")
@client_options
def webhooks_test(client: SieveClient, webhook_id: str) -> None:
    """Send WEBHOOK_ID a webhook.test message now (see it with `deliveries`)."""
    sent = client.call("POST", f"/v1/webhooks/{webhook_id}/test")
    click.echo(f"sent {sent['message_id']}: `sieve webhooks deliveries {webhook_id}` shows it")


@webhooks.command("delete")
@click.argument("webhook_id")
@client_options
def webhooks_delete(client: SieveClient, webhook_id: str) -> None:
    """Delete WEBHOOK_ID: no message goes to it any more."""
    client.call("DELETE", f"/v1/webhooks/{webhook_id}")
    click.echo(f"deleted {webhook_id}")


COMMANDS = (webhooks,)
