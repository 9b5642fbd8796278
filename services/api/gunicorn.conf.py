"""gunicorn settings for the questlog API; every value can be overridden by GUNICORN_* variables."""

import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads let one worker wait on Kafka acks for many requests at once.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# Slow-loris protection: a request must arrive within this many seconds.
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

# Imported here, not in child_exit: that hook runs in a signal handler, and two workers exiting at
# once would re-enter a half-done import.
from prometheus_client import multiprocess  # noqa: E402


def on_starting(server):
    """Start each run with empty metrics files."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def worker_exit(server, worker):
    """Flush the worker's Kafka producer so no acknowledged event is lost on SIGTERM."""
    from questlog_api.wsgi import app

    left = app.extensions["questlog.producer"].close()
    server.log.info("worker %s flushed Kafka producer (%d undelivered)", worker.pid, left)


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the summed metrics."""
    multiprocess.mark_process_dead(worker.pid)
