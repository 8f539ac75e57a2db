"""What the views need, built once by the app factory and found through current_app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from store import Stores
from store.settings import Settings
from workers.enqueue import Enqueuer


@dataclass(frozen=True)
class SieveContext:
    settings: Settings
    stores: Stores
    enqueuer: Enqueuer


def sieve() -> SieveContext:
    return current_app.extensions["sieve"]
