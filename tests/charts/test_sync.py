"""Docs and copies keep each other honest: config copies match stack/conf, every value is documented,
the generated README and schemas are current, versions agree, NOTES render."""

from __future__ import annotations

import shutil

import chart_docs
import charts_sync
import pytest
import yaml

from tests.charts.conftest import CHART, RELEASE, VARIANTS, helm, load_yaml


def test_config_copies_match_the_local_stack():
    assert charts_sync.drifted() == [], "run make charts-sync"


@pytest.mark.parametrize("chart", ["", *chart_docs.SUBCHARTS])
def test_every_value_is_documented(chart):
    assert (
        chart_docs.undocumented(
            chart_docs.parse(CHART / "charts" / chart / "values.yaml" if chart else CHART / "values.yaml")
        )
        == []
    )


def test_generated_readme_and_schemas_are_current():
    stale = [str(p) for p, text in chart_docs.outputs().items() if not p.is_file() or p.read_text() != text]
    assert stale == [], "run make charts-docs"


def test_subcharts_share_the_app_version():
    umbrella = load_yaml(CHART / "Chart.yaml")
    declared = {d["name"]: d["version"] for d in umbrella["dependencies"]}
    for sub in (CHART / "charts").iterdir():
        chart = load_yaml(sub / "Chart.yaml")
        assert declared[chart["name"]] == chart["version"], chart["name"]
        if chart.get("type") != "library":
            assert chart["appVersion"] == umbrella["appVersion"], chart["name"]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_notes_render(name, tmp_path):
    # helm template does not print NOTES.txt: render a copy of it as an ordinary template.
    copy = tmp_path / "questlog"
    shutil.copytree(CHART, copy)
    notes = (copy / "templates" / "NOTES.txt").read_text()
    (copy / "templates" / "NOTES.txt").unlink()
    (copy / "templates" / "_notes.tpl").write_text('{{- define "notes" -}}' + notes + "{{- end -}}")
    (copy / "templates" / "notes.yaml").write_text('notes: {{ include "notes" . | toJson }}\n')
    done = helm(
        "template",
        RELEASE,
        str(copy),
        "--namespace",
        "questlog",
        "--show-only",
        "templates/notes.yaml",
        *[a.replace(str(CHART), str(copy)) for a in VARIANTS[name]],
    )
    assert done.returncode == 0, done.stderr
    text = yaml.safe_load(done.stdout)["notes"]
    assert "helm test ql -n questlog" in text
    if name == "kind":
        assert "http://127.0.0.1:30500" in text and "https://127.0.0.1:30443" in text
