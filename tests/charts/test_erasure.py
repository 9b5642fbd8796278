"""Player erasure in the chart, rendered offline: the compacted erasure log and its ACLs, the privacy
Secret, and the API, the stream's driver and the maintenance CronJob configured and mounted for it."""

from __future__ import annotations

import base64
from typing import Any

import yaml
from questlog_core.erasure import TOPIC_CONFIG
from questlog_stream.settings import Settings as StreamSettings

from tests.charts.conftest import CHART, NAMESPACE, RELEASE, ROOT, by_kind, helm, pod_spec, rendered
from tests.charts.test_contract import known_variables

SECRET = f"{RELEASE}-privacy"
PRIVACY_DIR = "/etc/questlog/privacy"
SCRIPT = ROOT / "images" / "kafka" / "kafka-create-topics"


def render(*args: str) -> tuple[dict[str, Any], ...]:
    done = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args)
    assert done.returncode == 0, done.stderr
    return tuple(d for d in yaml.safe_load_all(done.stdout) if d)


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def privacy_volume(spec: dict[str, Any], mounts: list[dict[str, Any]]) -> tuple[str, set[str], int]:
    """The privacy Secret's volume of a pod (Secret name, keys, mode), checking it is mounted read-only."""
    volume = next(v for v in spec["volumes"] if v["name"] == "privacy")["secret"]
    mount = next(m for m in mounts if m["name"] == "privacy")
    assert mount == {"name": "privacy", "mountPath": PRIVACY_DIR, "readOnly": True}
    return volume["secretName"], {i["key"] for i in volume["items"]}, volume["defaultMode"]


def maintenance(objects: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = pod_spec(objects, f"CronJob/{RELEASE}-stream-maintenance")
    return spec, spec["containers"][0]


def test_the_topics_job_creates_the_erasure_log_compacted_as_the_code_wants() -> None:
    job = pod_spec(rendered("default")[1], f"Job/{RELEASE}-kafka-topics")["containers"][0]
    env = env_of(job)
    assert env["KAFKA_COMPACTED_TOPICS"] == "erasures"
    assert "erasures" not in job["args"]  # not among the partitioned topics
    config = dict(entry.split("=", 1) for entry in env["KAFKA_COMPACTED_CONFIG"].split(","))
    # cleanup.policy=compact is the script's own; min.insync.replicas is the broker's (kafka.minInsyncReplicas)
    wanted = {k: v for k, v in TOPIC_CONFIG.items() if k not in ("cleanup.policy", "min.insync.replicas")}
    assert config == wanted and TOPIC_CONFIG["cleanup.policy"] == "compact"
    script = SCRIPT.read_text()
    assert 'read -r -a compacted_config <<< "cleanup.policy=compact' in script
    assert '--topic "$topic" --partitions 1 ' in script


def test_both_kafka_users_read_and_write_the_erasure_log_in_one_group() -> None:
    env = env_of(pod_spec(rendered("default")[1], f"Job/{RELEASE}-kafka-topics")["containers"][0])
    assert env["KAFKA_ACL_SHARED_TOPICS"] == "erasures"
    assert env["KAFKA_ACL_SHARED_GROUP"] == "questlog-erasures-reader"
    assert (env["KAFKA_ACL_PRODUCER"], env["KAFKA_ACL_CONSUMER"]) == ("api", "stream")
    assert "erasures" not in env["KAFKA_ACL_TOPICS"].split(",")  # api may still not read the events
    group = 'group.id": "questlog-erasures-reader"'
    assert group in (ROOT / "lib" / "questlog_core" / "erasure.py").read_text()
    # Open Kafka: still compacted, no ACLs.
    open_kafka = render("--set", "global.kafkaAuth.enabled=false")
    env = env_of(pod_spec(open_kafka, f"Job/{RELEASE}-kafka-topics")["containers"][0])
    assert env["KAFKA_COMPACTED_TOPICS"] == "erasures" and not [k for k in env if k.startswith("KAFKA_ACL_")]


def test_the_privacy_secret_is_generated_once_with_both_keys() -> None:
    objects = rendered("default")[1]
    secret = by_kind(objects, "Secret")[SECRET]
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    keys = {k: base64.b64decode(v).decode("ascii") for k, v in secret["data"].items()}
    assert set(keys) == {"admin-key", "privacy-key"}
    assert len(keys["admin-key"]) == 40 and len(keys["privacy-key"]) == 64
    assert all(k.isascii() and k.isalnum() for k in keys.values()) and keys["admin-key"] != keys["privacy-key"]
    configmaps = yaml.safe_dump([o for o in objects if o["kind"] == "ConfigMap"])
    assert not [k for k, v in keys.items() if v in configmaps], "a privacy key is written into a ConfigMap"
    values_text = "".join(p.read_text() for p in CHART.rglob("values*.yaml"))
    assert not [k for k, v in keys.items() if v in values_text]


def test_the_api_reads_both_keys_from_the_mounted_secret() -> None:
    objects = rendered("default")[1]
    config = by_kind(objects, "ConfigMap")[f"{RELEASE}-api"]["data"]
    assert config["QUESTLOG_API_ERASURES_TOPIC"] == "erasures"
    assert config["QUESTLOG_API_PRIVACY_KEY_FILE"] == f"{PRIVACY_DIR}/privacy-key"
    assert config["QUESTLOG_API_ADMIN_KEYS_FILE"] == f"{PRIVACY_DIR}/admin-key"
    spec = pod_spec(objects, f"Deployment/{RELEASE}-api")
    volume = privacy_volume(spec, spec["containers"][0]["volumeMounts"])
    assert volume == (SECRET, {"admin-key", "privacy-key"}, 0o440)
    assert not [k for k in env_of(spec["containers"][0]) if "PRIVACY" in k or "ADMIN" in k]


def test_the_stream_driver_reads_the_privacy_key_and_the_erasure_log() -> None:
    app = by_kind(rendered("default")[1], "SparkApplication")[f"{RELEASE}-stream"]["spec"]
    env = env_of(app["driver"])
    assert env["QUESTLOG_STREAM_PRIVACY_KEY_FILE"] == f"{PRIVACY_DIR}/privacy-key"
    assert env["QUESTLOG_STREAM_ERASURES_TOPIC"] == "erasures"
    assert privacy_volume(app, app["driver"]["volumeMounts"]) == (SECRET, {"privacy-key"}, 0o440)
    assert "privacy" not in {m["name"] for m in app["executor"]["volumeMounts"]}


def test_the_maintenance_cronjob_processes_erasures_as_the_stream() -> None:
    objects = rendered("default")[1]
    spec, container = maintenance(objects)
    env = env_of(container)
    driver = env_of(by_kind(objects, "SparkApplication")[f"{RELEASE}-stream"]["spec"]["driver"])
    assert env["QUESTLOG_STREAM_BOOTSTRAP_SERVERS"] == driver["QUESTLOG_STREAM_BOOTSTRAP_SERVERS"] == "ql-kafka:9092"
    # The processor waits for the acknowledgement of the stream of this checkpoint: the driver's.
    assert env["QUESTLOG_STREAM_CHECKPOINT"] == driver["QUESTLOG_STREAM_CHECKPOINT"]
    assert env["QUESTLOG_STREAM_ERASURES_TOPIC"] == "erasures"
    assert env["QUESTLOG_STREAM_PRIVACY_KEY_FILE"] == f"{PRIVACY_DIR}/privacy-key"
    kafka = {k: v for k, v in driver.items() if k.startswith("QUESTLOG_STREAM_KAFKA_")}
    assert kafka["QUESTLOG_STREAM_KAFKA_SASL_USERNAME"] == "stream"
    assert {k: env[k] for k in kafka} == kafka  # the same Kafka client settings as the driver
    assert privacy_volume(spec, container["volumeMounts"]) == (SECRET, {"privacy-key"}, 0o440)
    credentials = next(v for v in spec["volumes"] if v["name"] == "kafka-credentials")["secret"]
    assert [i["key"] for i in credentials["items"]] == ["stream-password"]
    mounted = {m["mountPath"] for m in container["volumeMounts"]}
    assert kafka["QUESTLOG_STREAM_KAFKA_SASL_PASSWORD_FILE"].rsplit("/", 1)[0] in mounted
    # every value parses and every name is a setting of the job
    StreamSettings.from_env({k: v for k, v in env.items() if isinstance(v, str)})
    known = known_variables(StreamSettings, "QUESTLOG_STREAM_", "jobs/spark-stream/questlog_stream/settings.py")
    unknown = [k for k in env if k.startswith("QUESTLOG_STREAM_") and "_KAFKA_" not in k and k not in known]
    assert unknown == []


def test_kafka_admits_the_maintenance_pods() -> None:
    objects = rendered("default")[1]
    labels = by_kind(objects, "CronJob")[f"{RELEASE}-stream-maintenance"]["spec"]["jobTemplate"]["spec"]["template"][
        "metadata"
    ]["labels"]
    policies = by_kind(objects, "NetworkPolicy")
    # Ingress policies only (egress is open): Kafka's own policy must admit them on the client port.
    assert all(p["spec"]["policyTypes"] == ["Ingress"] for p in policies.values())
    rules = policies[f"{RELEASE}-kafka"]["spec"]["ingress"]
    assert any(
        9092 in {p["port"] for p in rule["ports"]}
        and any(
            all(labels.get(k) == v for k, v in peer.get("podSelector", {}).get("matchLabels", {}).items())
            for peer in rule["from"]
        )
        for rule in rules
    )


def test_an_existing_privacy_secret_is_used_and_none_generated() -> None:
    objects = render("--set", "global.privacy.existingSecret=studio-privacy")
    assert SECRET not in by_kind(objects, "Secret")
    api = pod_spec(objects, f"Deployment/{RELEASE}-api")
    assert privacy_volume(api, api["containers"][0]["volumeMounts"])[0] == "studio-privacy"
    app = by_kind(objects, "SparkApplication")[f"{RELEASE}-stream"]["spec"]
    assert privacy_volume(app, app["driver"]["volumeMounts"])[0] == "studio-privacy"
    spec, container = maintenance(objects)
    assert privacy_volume(spec, container["volumeMounts"])[0] == "studio-privacy"
