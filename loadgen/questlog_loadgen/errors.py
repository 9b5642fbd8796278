"""The root of every error the load generator raises."""

from __future__ import annotations

from questlog_core.settings import SettingsError as CoreSettingsError


class LoadgenError(Exception):
    """Something stopped the load generator; the message says what."""


class SettingsError(LoadgenError, CoreSettingsError):
    """A flag or QUESTLOG_LOADGEN_* variable has a value the simulator cannot use."""


class ApiRefused(LoadgenError):
    """The API answered in a way a retry cannot fix (4xx other than per-event rejections, 5xx)."""
