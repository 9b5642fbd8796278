"""One way to configure every component: a frozen dataclass whose fields are read from the environment.

Each field `max_events` is the variable `<PREFIX>MAX_EVENTS`; an unset or empty variable keeps the
field's default. The default's type says how the text is read (str, int, float, bool, or a
comma-separated tuple of one of these); `setting()` adds a help text, a lower bound, another variable
name, or `env=False` for a field the component derives itself. Every error names the variable:

    @dataclass(frozen=True)
    class Settings:
        topic: str = "events"
        max_events: int = setting(1000, minimum=1, help="Events per request.")

        @classmethod
        def from_env(cls, env=None):
            return cls(**read(cls, "QUESTLOG_API_", os.environ if env is None else env, SettingsError))

The environment is read only at the entry points (`Settings.from_env()` there); everything below
them takes the dataclass.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from typing import Any

from questlog_core.errors import QuestlogError

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")
KINDS = {bool: "true or false", int: "an integer", float: "a number", str: "text"}


class SettingsError(QuestlogError, ValueError):
    """A configuration variable has a value the component cannot use."""


def setting(
    default: Any,
    help: str = "",
    *,
    env: str | bool = True,
    minimum: float | None = None,
) -> Any:
    """A dataclass field with its reading rules: `env` another variable suffix (or False: not read),
    `minimum` an inclusive lower bound (instead of `read(..., positive=True)`'s > 0)."""
    metadata = {"help": help, "env": env, "minimum": minimum}
    return dataclasses.field(default=default, metadata=metadata)


def variable(prefix: str, f: dataclasses.Field[Any]) -> str:
    """The variable a field is read from (the fields `env=False` marks are not read at all)."""
    env = f.metadata.get("env", True)
    return prefix + (env if isinstance(env, str) else f.name.upper())


def variables(cls: type, prefix: str) -> list[str]:
    """Every variable `read()` looks at for this dataclass (the documentation test lists them)."""
    return [variable(prefix, f) for f in _read_fields(cls)]


def read(
    cls: type,
    prefix: str,
    env: Mapping[str, str],
    error: type[Exception] = SettingsError,
    *,
    positive: bool = False,
) -> dict[str, Any]:
    """Return the fields of `cls` that the environment sets, converted; raise `error` naming the
    variable when one cannot be used. `positive=True` makes every number of the class > 0."""
    values: dict[str, Any] = {}
    for f in _read_fields(cls):
        name = variable(prefix, f)
        raw = env.get(name)
        if raw is None or raw.strip() == "":
            continue
        value = convert(name, raw, f.default, error)
        _bounds(name, value, f, error, positive)
        values[f.name] = value
    return values


def convert(name: str, raw: str, default: Any, error: type[Exception] = SettingsError) -> Any:
    """Read `raw` as the type of `default` (a tuple: comma-separated items of its first item's type)."""
    if isinstance(default, tuple):
        kind = type(default[0]) if default else str
        items = [x.strip() for x in raw.split(",") if x.strip()]
        if not items:
            raise error(f"{name} must be a comma-separated list, got {raw!r}")
        return tuple(_scalar(name, x, kind, error) for x in items)
    return _scalar(name, raw, str if default is None else type(default), error)


def boolean(name: str, raw: str, error: type[Exception] = SettingsError) -> bool:
    """Read true/false, yes/no, on/off or 1/0."""
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise error(f"{name} must be true or false, got {raw!r}")


def integer(
    env: Mapping[str, str], name: str, default: int, minimum: int = 0, error: type[Exception] = SettingsError
) -> int:
    """One integer variable with a lower bound, for settings a component derives (e.g. hours -> timedelta)."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = _scalar(name, raw, int, error)
    if value < minimum:
        raise error(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def add_arguments(parser: argparse.ArgumentParser, base: Any, prefix: str) -> None:
    """One CLI flag per field of the dataclass instance `base` (`--max-seconds` for `max_seconds`),
    defaulting to its value (so flags override variables, which override the built-in defaults)."""
    for f in _read_fields(type(base)):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(base, f.name)
        help_text = f"{f.metadata.get('help', '')} Env {variable(prefix, f)}; default: %(default)s.".lstrip()
        if isinstance(f.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help_text)
        else:
            kind = str if f.default is None else type(f.default)
            parser.add_argument(flag, type=kind, default=default, help=help_text)


def _read_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The fields read from the environment; a field whose default cannot come from text must say env=False."""
    found = []
    for f in dataclasses.fields(cls):
        if f.metadata.get("env", True) is False:
            continue
        if f.default is dataclasses.MISSING:
            raise TypeError(f"setting {f.name} needs a plain default, or env=False when the component derives it")
        if not isinstance(f.default, str | int | float | bool | tuple | None):
            raise TypeError(f"setting {f.name}: cannot read a {type(f.default).__name__} from text; use env=False")
        found.append(f)
    return found


def _scalar(name: str, raw: str, kind: type, error: type[Exception]) -> Any:
    if kind is bool:
        return boolean(name, raw, error)
    if kind is str:
        return raw
    try:
        return kind(raw.strip())
    except ValueError as exc:
        raise error(f"{name} must be {KINDS.get(kind, kind.__name__)}, got {raw!r}") from exc


def _bounds(name: str, value: Any, f: dataclasses.Field[Any], error: type[Exception], positive: bool) -> None:
    numbers = value if isinstance(value, tuple) else (value,)
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, int | float):
            continue
        minimum = f.metadata.get("minimum")
        if minimum is not None:
            if number < minimum:
                raise error(f"{name} must be >= {minimum}, got {number}")
        elif positive and number <= 0:
            raise error(f"{name} must be > 0, got {number}")
