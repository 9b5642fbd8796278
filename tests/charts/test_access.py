"""Production access in the chart, rendered offline: Kafka locked by default (SASL/SCRAM, ACLs),
its passwords generated into a Secret and referenced, never written into a ConfigMap.
The locked broker itself runs for real in tests/integration/test_kafka_locked.py."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml

from tests.charts.conftest import CHART, NAMESPACE, RELEASE, by_kind, helm, pod_spec, pod_specs, properties, rendered

SECRET = f"{RELEASE}-kafka-credentials"


def render(*args: str) -> tuple[dict[str, Any], ...]:
    done = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args)
    assert done.returncode == 0, done.stderr
    return tuple(d for d in yaml.safe_load_all(done.stdout) if d)


def server_properties(objects: tuple[dict[str, Any], ...]) -> dict[str, str]:
    return properties(by_kind(objects, "ConfigMap")[f"{RELEASE}-kafka"]["data"]["server.properties"])


def env_of(objects: tuple[dict[str, Any], ...], name: str) -> dict[str, Any]:
    """Environment of the first container of one workload, hook Job or test Pod, by object name."""
    container = pod_spec(objects, name)["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


@pytest.mark.parametrize("variant", ["default", "kind", "gke"])
def test_kafka_is_locked_by_default(variant: str) -> None:
    objects = rendered(variant)[1]
    props = server_properties(objects)
    assert props["listener.security.protocol.map"] == "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    assert props["listener.name.client.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin;User:controller"
    assert "PLAINTEXT://" not in props["listeners"] + props["advertised.listeners"]


def test_passwords_are_generated_and_never_in_a_configmap() -> None:
    objects = rendered("default")[1]
    secret = by_kind(objects, "Secret")[SECRET]
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    passwords = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert set(passwords) == {"admin-password", "controller-password", "api-password", "stream-password"}
    assert all(len(p) >= 32 and p.isalnum() for p in passwords.values()), "weak or unquotable password"
    assert len(set(passwords.values())) == 4
    configmaps = yaml.safe_dump([o for o in objects if o["kind"] == "ConfigMap"])
    for key, password in passwords.items():
        assert password not in configmaps, f"{key} is written into a ConfigMap"


def mounts_of(objects: tuple[dict[str, Any], ...], name: str) -> tuple[dict[str, Any], list[str]]:
    """The Kafka credentials volume of a pod (by object name) and the paths its first container mounts it at."""
    spec = pod_spec(objects, name)
    volume = next(v for v in spec["volumes"] if v["name"] == "kafka-credentials")
    paths = [m["mountPath"] for m in spec["containers"][0]["volumeMounts"] if m["name"] == "kafka-credentials"]
    return volume, paths


def keys_of(volume: dict[str, Any], secret: str = SECRET) -> set[str]:
    assert volume["secret"]["secretName"] == secret
    return {item["key"] for item in volume["secret"]["items"]}


def test_every_kafka_client_authenticates_with_its_own_user() -> None:
    objects = rendered("default")[1]
    pw = "/etc/questlog/kafka-credentials/{}-password"
    api = env_of(objects, f"Deployment/{RELEASE}-api")
    assert api["QUESTLOG_API_KAFKA_SASL_USERNAME"] == "api"
    assert api["QUESTLOG_API_KAFKA_SASL_PASSWORD_FILE"] == pw.format("api")
    assert api["QUESTLOG_API_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    volume, paths = mounts_of(objects, f"Deployment/{RELEASE}-api")
    assert keys_of(volume) == {"api-password"} and paths == ["/etc/questlog/kafka-credentials"]
    app = by_kind(objects, "SparkApplication")[f"{RELEASE}-stream"]["spec"]
    driver = {e["name"]: e.get("value", e.get("valueFrom")) for e in app["driver"]["env"]}
    assert driver["QUESTLOG_STREAM_KAFKA_SASL_USERNAME"] == "stream"
    assert driver["QUESTLOG_STREAM_KAFKA_SASL_PASSWORD_FILE"] == pw.format("stream")
    volume = next(v for v in app["volumes"] if v["name"] == "kafka-credentials")
    assert keys_of(volume) == {"stream-password"}
    assert any(m["name"] == "kafka-credentials" for m in app["driver"]["volumeMounts"])
    broker = env_of(objects, f"StatefulSet/{RELEASE}-kafka")
    assert broker["KAFKA_CREDENTIALS_DIR"] == "/etc/questlog/kafka-credentials"
    volume, _ = mounts_of(objects, f"StatefulSet/{RELEASE}-kafka")
    assert keys_of(volume) == {"admin-password", "controller-password"}
    hook = env_of(objects, f"Job/{RELEASE}-kafka-topics")
    assert hook["KAFKA_ACL_TOPICS"] == "events,events.dlq"
    assert (hook["KAFKA_ACL_PRODUCER"], hook["KAFKA_ACL_CONSUMER"]) == ("api", "stream")
    volume, _ = mounts_of(objects, f"Job/{RELEASE}-kafka-topics")
    assert keys_of(volume) == {"admin-password", "api-password", "stream-password"}
    test = env_of(objects, f"Pod/{RELEASE}-test-kafka")
    assert test["TEST_KAFKA_SASL_USERNAME"] == "api"
    volume, _ = mounts_of(objects, f"Pod/{RELEASE}-test-kafka")
    assert keys_of(volume) == {"api-password"}
    for name, spec in pod_specs(objects):
        env = [e for c in spec["containers"] for e in c.get("env", [])]
        assert not [e["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})], f"{name}: a secret in env"


def test_existing_secret_is_used_and_none_generated() -> None:
    objects = render("--set", "global.kafkaAuth.existingSecret=studio-kafka")
    assert SECRET not in by_kind(objects, "Secret")
    volume, _ = mounts_of(objects, f"Deployment/{RELEASE}-api")
    assert keys_of(volume, "studio-kafka") == {"api-password"}


def test_open_kafka_when_switched_off() -> None:
    objects = render("--set", "global.kafkaAuth.enabled=false")
    props = server_properties(objects)
    assert props["listeners"].startswith("PLAINTEXT://") and "authorizer.class.name" not in props
    assert SECRET not in by_kind(objects, "Secret")
    assert not [k for k in env_of(objects, f"Deployment/{RELEASE}-api") if "SASL" in k]
