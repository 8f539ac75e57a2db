"""The web console at `/`: one server-rendered page and its own script and style sheet,
shipped in the package (api/console/) — nothing comes from a CDN. The page talks to the JSON
API with the API key a person signs in with (see console.js)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, render_template, send_from_directory

from api.operation import documented
from api.views.docs import with_policy
from validators.registry import supported_types

ASSETS_DIR = Path(__file__).resolve().parent.parent / "console"
ASSETS = frozenset(
    {"console.js", "dataset.js", "rows.js", "webhooks.js", "console.css", "favicon.svg"}
)
bp = Blueprint("console", __name__, template_folder=str(ASSETS_DIR))
# Only our own script runs (no inline code); bars and charts are sized with style attributes.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
)


@bp.get("/")
@documented("The web console", responses={"200": "html"}, secured=False)
def page() -> Response:
    html = render_template("index.html", dataset_types=supported_types())
    return with_policy(Response(html, mimetype="text/html"), POLICY)


@bp.get("/console/<name>")
@documented("The web console's script and style sheet", listed=False, secured=False)
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    return with_policy(send_from_directory(ASSETS_DIR, name, max_age=300), POLICY)


@bp.get("/favicon.ico")
@documented("The console's icon (SVG)", listed=False, secured=False)
def favicon() -> Response:
    response = send_from_directory(ASSETS_DIR, "favicon.svg", max_age=86400)
    response.mimetype = "image/svg+xml"
    return with_policy(response, POLICY)
