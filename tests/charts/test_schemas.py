"""Every rendered object against the Kubernetes schemas (kubernetes-validate, strict: unknown fields
and unknown kinds are errors) and the SparkApplication against the spark-operator CRD's schema."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.charts.conftest import load_yaml, spark_operator_crd

# Oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest the validator knows.
K8S_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
CRD = "sparkoperator.k8s.io_sparkapplications.yaml"
CUSTOM_KINDS = {("sparkoperator.k8s.io/v1beta2", "SparkApplication")}


def strict_crd_schema(path: Path, version: str) -> dict[str, Any]:
    """Turn a CRD version's openAPIV3Schema into a JSON Schema that, like `kubectl apply
    --validate=strict`, refuses unknown fields (except where the CRD preserves them)."""
    crd = load_yaml(path)
    found = next(v for v in crd["spec"]["versions"] if v["name"] == version)
    schema = copy.deepcopy(found["schema"]["openAPIV3Schema"])

    def walk(node: Any, is_schema: bool) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, is_schema)
            return
        if not isinstance(node, dict):
            return
        if is_schema:
            if node.get("x-kubernetes-int-or-string"):
                node.pop("type", None)
                node.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
            if node.get("nullable") and isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for key, child in node.items():
                if key == "properties":
                    for prop in child.values():
                        walk(prop, True)
                elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
                    walk(child, True)

    walk(schema, True)
    group = crd["spec"]["group"]
    schema["properties"]["apiVersion"] = {"const": f"{group}/{version}"}
    schema["properties"]["kind"] = {"const": crd["spec"]["names"]["kind"]}
    # The CRD leaves metadata open; hold it to what ObjectMeta allows for the fields charts set.
    strings = {"type": "object", "additionalProperties": {"type": "string"}}
    schema["properties"]["metadata"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
            "namespace": {"type": "string"},
            "labels": strings,
            "annotations": strings,
        },
    }
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata", "spec"})
    return schema


@functools.cache
def spark_validator() -> jsonschema.Draft7Validator:
    schema = strict_crd_schema(spark_operator_crd(CRD), "v1beta2")
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def validate(obj: dict[str, Any], version: str) -> list[str]:
    """Return the validation errors of one object ([] when valid)."""
    if (obj.get("apiVersion"), obj.get("kind")) in CUSTOM_KINDS:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in spark_validator().iter_errors(obj)]
        # The driver/executor pod templates are free-form in the CRD: check them as Pods.
        for role in ("driver", "executor"):
            template = obj["spec"][role].get("template")
            if template:
                pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "template"}, "spec": template["spec"]}
                errors += [f"spec.{role}.template: {e}" for e in validate(pod, version)]
        return errors
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{'/'.join(map(str, exc.path))}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"unknown kind: {exc.message}"]
    return []


@pytest.mark.parametrize("k8s_version", K8S_VERSIONS)
def test_every_object_is_valid(objects, k8s_version):
    problems = {}
    for obj in objects:
        errors = validate(obj, k8s_version)
        if errors:
            problems[f"{obj['kind']}/{obj['metadata']['name']}"] = errors
    assert not problems


def test_sparkapplication_is_rendered(objects):
    assert [o for o in objects if o["kind"] == "SparkApplication"]


def test_crd_schema_catches_mistakes(objects):
    app = copy.deepcopy(next(o for o in objects if o["kind"] == "SparkApplication"))
    assert validate(app, K8S_VERSIONS[-1]) == []
    app["spec"]["driver"]["coress"] = 1
    app["spec"]["type"] = "Go"
    app["spec"]["driver"]["template"]["spec"]["containers"][0]["livenessProbe"]["exec"] = "stream-probe"
    errors = "\n".join(validate(app, K8S_VERSIONS[-1]))
    assert "coress" in errors and "'Go' is not one of" in errors and "template" in errors


def test_unknown_kind_is_an_error():
    errors = validate({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, K8S_VERSIONS[-1])
    assert errors and errors[0].startswith("unknown kind")


def test_unknown_field_is_an_error():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"prots": []}}
    assert validate(service, K8S_VERSIONS[-1])
