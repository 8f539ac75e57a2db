"""The roll call that lets a status call end when every worker has answered (workers/status)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from workers.status import system_status

KNOWN = "sieve:workers:known"


@dataclass
class FakeControl:
    """Celery's broadcast, answering as the workers in `answering` would; records each ask."""

    answering: dict[str, list]
    asked: list[dict] = field(default_factory=list)

    def inspect(self, timeout: float, limit: int | None = None) -> SimpleNamespace:
        self.asked.append({"timeout": timeout, "limit": limit})
        names = list(self.answering)[:limit] if limit else list(self.answering)
        return SimpleNamespace(active=lambda: {name: self.answering[name] for name in names})


def _app(answering: dict[str, list]) -> SimpleNamespace:
    return SimpleNamespace(control=FakeControl(answering))


def test_the_answers_awaited_are_the_workers_on_the_roll_call(make_stores):
    stores = make_stores()
    stores.redis.sadd(KNOWN, "celery@a", "celery@b")
    app = _app({"celery@a": [{"id": "t1"}], "celery@b": []})
    status = system_status(stores, app)
    assert app.control.asked == [{"timeout": 1.0, "limit": 2}]
    assert status["workers_alive"] == ["celery@a", "celery@b"]
    assert status["tasks_in_progress"] == 1


def test_with_no_roll_call_every_answer_in_the_timeout_counts_and_joins_it(make_stores):
    stores = make_stores()
    app = _app({"celery@a": [], "celery@b": []})
    system_status(stores, app)
    assert app.control.asked == [{"timeout": 1.0, "limit": None}]
    assert stores.redis.smembers(KNOWN) == {"celery@a", "celery@b"}


def test_a_worker_that_did_not_answer_in_time_leaves_the_roll_call(make_stores):
    stores = make_stores()
    stores.redis.sadd(KNOWN, "celery@a", "celery@killed")
    status = system_status(stores, _app({"celery@a": []}))
    assert status["workers_alive"] == ["celery@a"]
    assert stores.redis.smembers(KNOWN) == {"celery@a"}


def test_a_worker_that_answers_without_having_joined_joins(make_stores):
    """A worker started before the roll call existed answers too: it is counted from then on
    (the call stopped at the number expected; the one it left out stays on the roll call)."""
    stores = make_stores()
    stores.redis.sadd(KNOWN, "celery@a")
    app = _app({"celery@new": [], "celery@a": []})
    system_status(stores, app)
    assert stores.redis.smembers(KNOWN) == {"celery@a", "celery@new"}
    system_status(stores, app)
    assert app.control.asked[-1]["limit"] == 2
