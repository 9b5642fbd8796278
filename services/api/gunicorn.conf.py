"""gunicorn settings for the questlog API; every value can be overridden by GUNICORN_* variables."""

import contextlib
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads let one worker wait on Kafka acks for many requests at once. The worker is gthread with a
# deadline: each request (line, headers, body) must arrive within GUNICORN_READ_TIMEOUT seconds, or
# slow clients could hold every thread (gunicorn's own `timeout` only watches the worker process).
worker_class = "questlog_api.worker.DeadlineThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
limit_request_line = 8190
limit_request_fields = 100
accesslog = None
errorlog = "-"
wsgi_app = "questlog_api.wsgi:app"

# Metrics from every worker are summed through files in this folder. It must be set before
# prometheus_client is first imported: the client picks its value store at import time.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"questlog-api-metrics-{os.getpid()}")
)

# One rate-limit table for all workers of this server (used when QUESTLOG_API_RATE_LIMIT is set).
_rate_limit_file = os.environ.setdefault(
    "QUESTLOG_API_RATE_LIMIT_FILE", os.path.join(tempfile.gettempdir(), f"questlog-api-ratelimit-{os.getpid()}")
)

from questlog_api.worker import DeadlineThreadWorker  # noqa: E402

DeadlineThreadWorker.read_timeout_s = float(os.environ.get("GUNICORN_READ_TIMEOUT", "15"))

# Imported here, not in child_exit: that hook runs in a signal handler, and two workers exiting at
# once would re-enter a half-done import.
from prometheus_client import multiprocess  # noqa: E402


def on_starting(server):
    """Start each run with empty metrics files."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)
    _remove_rate_limit_file()


def on_exit(server):
    """Leave no rate-limit table behind."""
    _remove_rate_limit_file()


def _remove_rate_limit_file():
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_rate_limit_file)


def worker_exit(server, worker):
    """Flush the worker's Kafka producer so no acknowledged event is lost on SIGTERM."""
    from questlog_api.wsgi import app

    left = app.extensions["questlog.producer"].close()
    server.log.info("worker %s flushed Kafka producer (%d undelivered)", worker.pid, left)


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the summed metrics."""
    multiprocess.mark_process_dead(worker.pid)
