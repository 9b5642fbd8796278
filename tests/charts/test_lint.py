"""helm lint --strict and the chart's own guards (values schema, pinned tags, Kubernetes version)."""

from __future__ import annotations

import pytest

from tests.charts.conftest import CHART, NAMESPACE, RELEASE, VARIANTS, helm


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_helm_lint_strict(name):
    done = helm("lint", "--strict", str(CHART), "--namespace", NAMESPACE, *VARIANTS[name])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[WARNING]" not in done.stdout and "[ERROR]" not in done.stdout, done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "kafka.replicaCont=3"], "additional properties 'replicaCont' not allowed"),
        (["--set", "global.ports.kafak=9092"], "additional properties 'kafak' not allowed"),
        (["--set", "api.image.tag=latest"], "/image/tag"),
        (["--set", "api.service.type=Ingress"], "/service/type"),
        (["--set", "trino.service.type=NodePort", "--set", "trino.service.nodePort=8080"], "/service/nodePort"),
    ],
)
def test_values_schema_refuses_mistakes(args, message):
    done = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args)
    assert done.returncode != 0
    assert message in done.stderr, done.stderr


def test_floating_tag_refused_by_the_templates_too():
    # The schema stops `latest` in values; the image helper stops it from any other source.
    done = helm(
        "template",
        RELEASE,
        str(CHART),
        "--namespace",
        NAMESPACE,
        "--skip-schema-validation",
        "--set",
        "tests.image.tag=latest",
    )
    assert done.returncode != 0 and 'pin a tag (got "latest")' in done.stderr, done.stderr


def test_kubernetes_version_floor():
    old = helm("template", RELEASE, str(CHART), "--kube-version", "1.29.0")
    assert old.returncode != 0 and "kubeVersion" in old.stderr
    assert helm("template", RELEASE, str(CHART), "--kube-version", "1.30.0").returncode == 0
