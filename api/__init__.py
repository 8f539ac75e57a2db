"""The Flask API: `gunicorn 'api:create_app()'`."""

from __future__ import annotations

from flask import Blueprint, Flask

from api import openapi
from api.auth import keep_out_of_caches
from api.context import SieveContext
from api.errors import register_error_handlers
from api.request_log import install_request_logging
from api.views import (
    blobs,
    console,
    dataset_data,
    dataset_types,
    datasets,
    docs,
    health,
    metrics,
    status,
    uploads,
    webhooks,
)
from store import Stores, open_stores, seed_api_keys
from store.patience import patiently
from store.settings import Settings
from workers.celery_app import create_celery
from workers.enqueue import Enqueuer


def create_app(
    settings: Settings | None = None,
    stores: Stores | None = None,
    enqueuer: Enqueuer | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    # A web process may (re)start while Redis restarts: wait for it rather than fail to boot.
    stores = stores or patiently(lambda: open_stores(settings))
    patiently(lambda: seed_api_keys(stores))
    app = Flask(__name__, static_folder=None)  # nothing is served from disk but signed blobs
    app.json.sort_keys = False
    app.extensions["sieve"] = SieveContext(
        settings, stores, enqueuer or Enqueuer(create_celery(settings))
    )
    register_error_handlers(app)
    install_request_logging(app)
    app.after_request(keep_out_of_caches)
    blueprints = (
        datasets,
        dataset_data,
        uploads,
        webhooks,
        dataset_types,
        blobs,
        health,
        metrics,
        status,
        openapi,
        docs,
        console,
    )
    for blueprint in (module.bp for module in blueprints):
        app.register_blueprint(blueprint)
    for blueprint in (datasets.bp, dataset_data.bp):  # cohere 5.0-5.7 keep /v1 in the base URL
        unversioned = blueprint.url_prefix.removeprefix("/v1")  # type: ignore[union-attr]
        app.register_blueprint(blueprint, url_prefix=unversioned, name=unversioned_name(blueprint))
    return app


def unversioned_name(blueprint: Blueprint) -> str:
    """The name of a blueprint's second registration, under its path without `/v1`."""
    return f"{blueprint.name}{UNVERSIONED}"


UNVERSIONED = "-without-v1"
