"""questlog_core.settings: the one way every component reads its environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from questlog_core.settings import SettingsError, read, setting, variables

P = "QL_TEST_"


@dataclass(frozen=True)
class Example:
    name: str = "events"
    count: int = setting(10, minimum=1)
    ratio: float = 0.5
    enabled: bool = False
    ports: tuple[int, ...] = (8, 32)
    words: tuple[str, ...] = ()
    path: str | None = None
    renamed: int = setting(3, env="OTHER_NAME")
    derived: timedelta = field(default=timedelta(hours=1), metadata={"env": False})


def test_unset_and_empty_variables_keep_the_defaults():
    assert read(Example, P, {}) == {}
    assert read(Example, P, {P + "COUNT": "", P + "NAME": "  "}) == {}
    assert Example(**read(Example, P, {})) == Example()


def test_each_type_is_read_from_its_default():
    env = {
        P + "NAME": "other",
        P + "COUNT": "7",
        P + "RATIO": "0.25",
        P + "ENABLED": "yes",
        P + "PORTS": "1, 2,3",
        P + "WORDS": "a,b",
        P + "PATH": "/tmp/x",
        P + "OTHER_NAME": "9",
    }
    assert read(Example, P, env) == {
        "name": "other",
        "count": 7,
        "ratio": 0.25,
        "enabled": True,
        "ports": (1, 2, 3),
        "words": ("a", "b"),
        "path": "/tmp/x",
        "renamed": 9,
    }
    assert read(Example, P, {P + "ENABLED": "off"}) == {"enabled": False}


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("COUNT", "ten", "QL_TEST_COUNT must be an integer, got 'ten'"),
        ("COUNT", "0", "QL_TEST_COUNT must be >= 1, got 0"),
        ("RATIO", "half", "QL_TEST_RATIO must be a number"),
        ("ENABLED", "maybe", "QL_TEST_ENABLED must be true or false"),
        ("PORTS", "8,x", "QL_TEST_PORTS must be an integer, got 'x'"),
        ("WORDS", " , ", "QL_TEST_WORDS must be a comma-separated list"),
        ("OTHER_NAME", "z", "QL_TEST_OTHER_NAME must be an integer"),
    ],
)
def test_errors_name_the_variable(variable, raw, message):
    with pytest.raises(SettingsError, match=message):
        read(Example, P, {P + variable: raw})


def test_positive_makes_every_number_above_zero_unless_a_field_says_otherwise():
    with pytest.raises(SettingsError, match="QL_TEST_RATIO must be > 0"):
        read(Example, P, {P + "RATIO": "0"}, positive=True)
    with pytest.raises(SettingsError, match="QL_TEST_PORTS must be > 0"):
        read(Example, P, {P + "PORTS": "8,-1"}, positive=True)
    assert read(Example, P, {P + "RATIO": "0"}) == {"ratio": 0.0}


def test_the_component_error_class_is_raised():
    class Mine(SettingsError):
        pass

    with pytest.raises(Mine):
        read(Example, P, {P + "COUNT": "x"}, Mine)


def test_derived_fields_are_not_read_and_unreadable_defaults_are_a_programming_error():
    assert "QL_TEST_DERIVED" not in variables(Example, P)
    assert read(Example, P, {P + "DERIVED": "5"}) == {}
    assert variables(Example, P) == [
        P + n for n in ("NAME", "COUNT", "RATIO", "ENABLED", "PORTS", "WORDS", "PATH", "OTHER_NAME")
    ]

    @dataclass(frozen=True)
    class Broken:
        span: timedelta = timedelta(hours=1)

    with pytest.raises(TypeError, match="span"):
        read(Broken, P, {})


def test_cli_flags_default_to_the_settings_and_override_them():
    import argparse

    from questlog_core.settings import add_arguments

    base = Example(**read(Example, P, {P + "COUNT": "5"}))
    parser = argparse.ArgumentParser()
    add_arguments(parser, base, P)
    assert vars(parser.parse_args([]))["count"] == 5
    flags = vars(parser.parse_args(["--count", "7", "--enabled", "--path", "/x", "--renamed", "4"]))
    assert (flags["count"], flags["enabled"], flags["path"], flags["renamed"]) == (7, True, "/x", 4)
    assert "derived" not in flags
    assert "Env QL_TEST_OTHER_NAME" in parser.format_help()
