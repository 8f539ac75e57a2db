"""An interactive page for the API at /docs: Swagger UI over /openapi.json. Its assets come
from the `swagger-ui-bundle` package installed with Sieve — nothing is fetched from a CDN."""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from api.operation import documented

bp = Blueprint("docs", __name__, url_prefix="/docs")
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Sieve API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""
INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
});
"""
# Our page runs only our own scripts (no inline code); Swagger UI needs inline styles.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


def with_policy(response: Response, policy: str = POLICY) -> Response:
    """A page's (or its asset's) security headers: only what `policy` allows runs or loads."""
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("")
@documented("This API's interactive documentation", responses={"200": "html"}, secured=False)
def page() -> Response:
    return with_policy(Response(PAGE, mimetype="text/html"))


@bp.get("/init.js")
@documented("The docs page's script", listed=False, secured=False)
def init_script() -> Response:
    return with_policy(Response(INIT, mimetype="text/javascript"))


@bp.get("/assets/<name>")
@documented("The docs page's assets (from the swagger-ui-bundle package)", listed=False)
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    return with_policy(send_from_directory(swagger_ui_path, name, max_age=86400))
