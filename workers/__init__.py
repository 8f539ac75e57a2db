"""Celery workers: chunk planning, parallel chunk validation, finalize, retention."""
