"""gunicorn entry point: settings from the environment, JSON logs."""

from __future__ import annotations

import os

from questlog_api.app import create_app
from questlog_api.logs import configure
from questlog_api.settings import Settings

configure(os.environ.get("QUESTLOG_API_LOG_LEVEL", "INFO"))
app = create_app(Settings.from_env())
