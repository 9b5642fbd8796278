"""Every environment variable a component reads is documented in the README or the docs."""

from __future__ import annotations

import re
import subprocess

from questlog_api import settings as api
from questlog_bench import settings as bench
from questlog_core.settings import variables
from questlog_loadgen import settings as loadgen
from questlog_report import settings as report
from questlog_stream import settings as stream

from tests.conftest import ROOT

# Families documented once as `<PREFIX>KAFKA_<NAME>` (any librdkafka / Kafka client setting).
FAMILIES = re.compile(r"^QUESTLOG_(API|STREAM)_KAFKA_[A-Z0-9_]+$")
SKIP = ("tests/", "bench/baseline/", "charts/", "images/")


def read_variables() -> set[str]:
    """Every QUESTLOG_*/BENCH_* variable the code reads, however the module spells it."""
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    names: set[str] = set()
    for path in files.stdout.split():
        if path.startswith(SKIP):
            continue
        text = (ROOT / path).read_text()
        names |= set(re.findall(r'"((?:QUESTLOG|BENCH)_[A-Z0-9_]*[A-Z0-9])"', text))
        if prefix := re.search(r'^PREFIX = "([A-Z_]+)"', text, re.M):
            spelled = (
                r'PREFIX \+ "([A-Z0-9_]+)"|\{PREFIX\}([A-Z0-9_]+)|(?:\bget|\b_[a-z]+)\((?:env, )?"([A-Z][A-Z0-9_]*)"'
            )
            found = {"".join(m) for m in re.findall(spelled, text)}
            names |= {prefix.group(1) + n for n in found if not n.startswith(("QUESTLOG_", "BENCH_", "GUNICORN_"))}
    # Each component's Settings dataclass reads one variable per field (questlog_core.settings).
    for component in (api, stream, loadgen, bench, report):
        names |= set(variables(component.Settings, component.PREFIX))
    return names


def test_the_scan_finds_the_settings_of_every_component():
    names = read_variables()
    for expected in (
        "QUESTLOG_API_MAX_EVENTS",
        "QUESTLOG_STREAM_TRIGGER_SECONDS",
        "QUESTLOG_LOADGEN_PLAYERS",
        "BENCH_FRESH_RATE",
    ):
        assert expected in names


def test_every_setting_is_documented():
    docs = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("*/README.md"), *ROOT.glob("*/*/README.md")]
    text = "\n".join(p.read_text() for p in docs if "charts" not in p.parts)
    missing = sorted(n for n in read_variables() if n not in text and not FAMILIES.match(n))
    assert missing == [], "document these in the README (Configure) or the component's docs"


def test_every_variable_of_the_dbt_project_is_documented_in_models_md():
    files = [ROOT / "models" / "profiles.yml", ROOT / "models" / "dbt_project.yml"]
    names = {n for p in files for n in re.findall(r"env_var\('([A-Z][A-Z0-9_]*)'", p.read_text())}
    assert {"QUESTLOG_MODELS_TARGET", "DBT_ENV_SECRET_TRINO_PASSWORD", "QUESTLOG_MODELS_USER_PREFIX"} <= names
    text = (ROOT / "docs" / "models.md").read_text()
    assert sorted(n for n in names if f"`{n}`" not in text) == []
