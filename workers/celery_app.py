"""The Celery app, configured from the environment. `celery -A workers.celery_app worker`."""

from __future__ import annotations

from celery import Celery

from store.settings import Settings
from workers.status import install_roll_call
from workers.task_log import install_task_logging

TASKS_MODULE = "workers.tasks"
WEBHOOK_POLL_SECONDS = 2.0  # how often beat looks for webhook retries that are due


def create_celery(settings: Settings) -> Celery:
    app = Celery("sieve", broker=settings.redis_url, include=[TASKS_MODULE])
    transport = {
        "visibility_timeout": settings.visibility_timeout_seconds,
        # How often a worker looks for messages whose worker died without acking them; with
        # throttle 1 the sweep really runs every interval (kombu's default is ~100 s).
        "unacked_restore_interval": settings.unacked_restore_seconds,
        "unacked_restore_throttle": 1,
    }
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A task that fails for want of Redis stays unacknowledged and comes back after the
        # visibility timeout, instead of being dropped.
        task_acks_on_failure_or_timeout=False,
        task_publish_retry_policy={
            "max_retries": 60,
            "interval_start": 0.5,
            "interval_step": 0.5,
            "interval_max": 2,
        },
        worker_prefetch_multiplier=1,
        broker_transport_options=transport,
        visibility_timeout=settings.visibility_timeout_seconds,
        broker_connection_retry_on_startup=True,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        beat_schedule={
            "purge-expired-datasets": {
                "task": "workers.purge_expired",
                "schedule": float(settings.retention_sweep_seconds),
            },
            "send-due-webhooks": {
                "task": "workers.send_webhooks",
                "schedule": WEBHOOK_POLL_SECONDS,
            },
            "redrive-stalled-datasets": {
                "task": "workers.redrive_stalled",
                "schedule": max(1.0, settings.stall_seconds / 4),
            },
        },
    )
    if settings.worker_concurrency:
        app.conf.worker_concurrency = settings.worker_concurrency
    return app


app = create_celery(Settings.from_env())
install_task_logging()
install_roll_call()
