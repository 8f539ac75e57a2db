"""gunicorn settings for streaming uploads of up to 1.5 GB.

Threads (gthread) let a few processes hold many slow uploads; the long timeout covers a large
upload on a slow link (the sync/gthread timeout is a heartbeat, not a per-request limit, but a
generous value keeps a busy worker from being killed mid-upload).
"""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = int(os.environ.get("WEB_TIMEOUT", "600"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "60"))
keepalive = 5
limit_request_field_size = 16384
accesslog = None
