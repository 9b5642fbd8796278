"""Production access in the chart, rendered offline: Kafka locked by default (SASL/SCRAM, ACLs) and
Trino locked by default (password logins over HTTPS, file-based access control), their passwords
generated into Secrets and referenced, never written into a ConfigMap. The locked broker and the
locked Trino run for real in tests/integration/test_kafka_locked.py and test_trino_locked.py."""

from __future__ import annotations

import base64
import json
import re
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
        in_env = {e["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})}
        # The one exception: Trino reads secrets only from its config files or the environment
        # (airlift's only built-in secret provider is ${ENV:...}); its nodes' shared secret comes in env.
        if name.startswith(f"Deployment/{RELEASE}-trino"):
            in_env -= {"TRINO_SHARED_SECRET"}
        assert not in_env, f"{name}: a secret in env"


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


TRINO_SECRET, TRINO_TLS = f"{RELEASE}-trino-credentials", f"{RELEASE}-trino-tls"


def trino_config(objects: tuple[dict[str, Any], ...], role: str = "trino") -> dict[str, str]:
    return properties(by_kind(objects, "ConfigMap")[f"{RELEASE}-{role}"]["data"]["config.properties"])


def secret_volumes(spec: dict[str, Any]) -> dict[str, tuple[str, set[str]]]:
    """Secret volumes of a pod spec: volume name -> (Secret name, keys mounted)."""
    return {
        v["name"]: (v["secret"]["secretName"], {i["key"] for i in v["secret"].get("items", [])})
        for v in spec.get("volumes", [])
        if "secret" in v
    }


@pytest.mark.parametrize("variant", ["default", "kind", "gke", "optional-on"])
def test_trino_is_locked_by_default(variant: str) -> None:
    objects = rendered(variant)[1]
    config = trino_config(objects)
    assert config["http-server.authentication.type"] == "PASSWORD"
    assert config["http-server.https.enabled"] == "true" and config["http-server.https.port"] == "8443"
    assert "http-server.authentication.allow-insecure-over-http" not in config  # default: refused
    assert config["internal-communication.shared-secret"] == "${ENV:TRINO_SHARED_SECRET}"
    data = by_kind(objects, "ConfigMap")[f"{RELEASE}-trino"]["data"]
    assert properties(data["access-control.properties"])["access-control.name"] == "file"
    assert properties(data["password-authenticator.properties"])["password-authenticator.name"] == "file"
    service = by_kind(objects, "Service")[f"{RELEASE}-trino"]
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {"http": 8080, "https": 8443}
    policy = by_kind(objects, "NetworkPolicy")[f"{RELEASE}-trino"]
    assert {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]} == {8080, 8443}
    if variant == "optional-on":  # workers: the shared secret and the rules, no logins of their own
        worker = trino_config(objects, "trino-worker")
        assert worker["internal-communication.shared-secret"] == "${ENV:TRINO_SHARED_SECRET}"
        assert "http-server.authentication.type" not in worker and "http-server.https.enabled" not in worker
        spec = pod_spec(objects, f"Deployment/{RELEASE}-trino-worker")
        assert secret_volumes(spec) == {}


def test_trino_rules_give_each_role_only_its_rights() -> None:
    data = by_kind(rendered("default")[1], "ConfigMap")[f"{RELEASE}-trino"]["data"]
    rules = json.loads(data["rules.json"])
    catalogs = [(r["user"], r.get("catalog", ".*"), r["allow"]) for r in rules["catalogs"]]
    assert catalogs == [
        ("admin", ".*", "all"),
        ("pipeline", "lake", "all"),
        ("admin|pipeline|analyst", "(lake|tpch|system)", "read-only"),
    ]
    readers = [r for r in rules["tables"] if "analyst" in r["user"]]
    assert all(r["privileges"] == ["SELECT"] for r in readers)
    # admin owns every schema; the writers only lake.marts (derived: the models CronJob creates it)
    owners = [(r["user"], r.get("catalog", ".*"), r.get("schema", ".*")) for r in rules["schemas"] if r["owner"]]
    assert owners == [("admin", ".*", ".*"), ("pipeline", "lake", "marts")]
    assert [r["user"] for r in rules["procedures"]] == ["admin"]
    assert [r["user"] for r in rules["system_information"]] == ["admin"]
    lake = properties(data["lake.properties"])
    assert lake["iceberg.expire-snapshots.min-retention"] == "7d"


def test_trino_logins_are_generated_and_each_pod_mounts_only_what_it_needs() -> None:
    objects = rendered("default")[1]
    secrets = by_kind(objects, "Secret")
    logins = {k: base64.b64decode(v).decode() for k, v in secrets[TRINO_SECRET]["data"].items()}
    assert set(logins) == {"admin-password", "pipeline-password", "analyst-password", "shared-secret", "password.db"}
    passwords = [logins[k] for k in logins if k.endswith("-password")]
    assert all(len(p) >= 32 and p.isalnum() for p in passwords) and len(set(passwords)) == 3
    assert len(logins["shared-secret"]) >= 64
    assert [line.split(":")[0] for line in logins["password.db"].splitlines()] == ["admin", "pipeline", "analyst"]
    assert all(p not in logins["password.db"] for p in passwords)
    for name in (TRINO_SECRET, TRINO_TLS):
        assert secrets[name]["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert secrets[TRINO_TLS]["type"] == "kubernetes.io/tls"
    tls = {k: base64.b64decode(v).decode() for k, v in secrets[TRINO_TLS]["data"].items()}
    assert tls["tls-combined.pem"] == tls["tls.key"] + tls["tls.crt"]
    configmaps = yaml.safe_dump([o for o in objects if o["kind"] == "ConfigMap"])
    assert not [k for k, v in logins.items() if v in configmaps], "a Trino secret is written into a ConfigMap"
    assert tls["tls.key"] not in configmaps
    coordinator = pod_spec(objects, f"Deployment/{RELEASE}-trino")
    assert secret_volumes(coordinator) == {
        "credentials": (TRINO_SECRET, {"password.db"}),
        "tls": (TRINO_TLS, {"tls-combined.pem"}),
    }
    test = pod_spec(objects, f"Pod/{RELEASE}-test-trino")
    assert secret_volumes(test)["trino-credentials"] == (TRINO_SECRET, {"analyst-password"})
    assert secret_volumes(test)["trino-tls"] == (TRINO_TLS, {"ca.crt"})
    env = env_of(objects, f"Pod/{RELEASE}-test-trino")
    assert env["TEST_TRINO_URL"] == f"https://{RELEASE}-trino:8443" and env["TEST_TRINO_USER"] == "analyst"


def test_trino_existing_secrets_are_used_and_none_generated() -> None:
    objects = render(
        "--set",
        "global.trinoAuth.existingSecret=studio-trino",
        "--set",
        "global.trinoAuth.tls.existingSecret=studio-tls",
    )
    assert not {TRINO_SECRET, TRINO_TLS} & set(by_kind(objects, "Secret"))
    coordinator = pod_spec(objects, f"Deployment/{RELEASE}-trino")
    assert {v[0] for v in secret_volumes(coordinator).values()} == {"studio-trino", "studio-tls"}
    ref = env_of(objects, f"Deployment/{RELEASE}-trino")["TRINO_SHARED_SECRET"]["secretKeyRef"]
    assert ref == {"name": "studio-trino", "key": "shared-secret"}


def test_trino_user_lists_may_not_overlap() -> None:
    done = helm("template", RELEASE, str(CHART), "--set", "global.trinoAuth.readOnlyUsers={analyst,pipeline}")
    assert done.returncode != 0 and "listed twice" in done.stderr


def test_open_trino_when_switched_off() -> None:
    objects = render("--set", "global.trinoAuth.enabled=false")
    config = trino_config(objects)
    assert "http-server.authentication.type" not in config and "http-server.https.enabled" not in config
    assert not {TRINO_SECRET, TRINO_TLS} & set(by_kind(objects, "Secret"))
    assert "access-control.properties" not in by_kind(objects, "ConfigMap")[f"{RELEASE}-trino"]["data"]
    env = env_of(objects, f"Pod/{RELEASE}-test-trino")
    assert env["TEST_TRINO_URL"] == f"http://{RELEASE}-trino:8080" and "TEST_TRINO_USER" not in env


def hadoop_props(xml: str) -> dict[str, str]:
    """Properties of a Hadoop XML file; a later definition wins, as in Hadoop."""
    return dict(re.findall(r"<name>([^<]+)</name>\s*<value>([^<]*)</value>", xml))


def hdfs_user(objects: tuple[dict[str, Any], ...], name: str) -> str | None:
    return env_of(objects, name).get("HADOOP_USER_NAME")


@pytest.mark.parametrize("variant", ["default", "kind", "gke"])
def test_hdfs_checks_permissions_and_every_component_has_its_own_user(variant: str) -> None:
    objects = rendered(variant)[1]
    data = by_kind(objects, "ConfigMap")[f"{RELEASE}-hdfs"]["data"]
    site, core = hadoop_props(data["hdfs-site.xml"]), hadoop_props(data["core-site.xml"])
    assert site["dfs.permissions.enabled"] == "true" and site["dfs.permissions.superusergroup"] == "supergroup"
    groups = dict(entry.split("=") for entry in core["hadoop.user.group.static.mapping.overrides"].split(";"))
    assert groups == {
        "hdfs": "supergroup",
        "questlog-stream": "questlog-stream,questlog-lake",
        "questlog-metastore": "questlog-lake",
        "questlog-trino": "questlog-lake",
    }
    users = {
        f"StatefulSet/{RELEASE}-hdfs-namenode": "hdfs",
        f"StatefulSet/{RELEASE}-hdfs-datanode": "hdfs",
        f"Job/{RELEASE}-hdfs-permissions": "hdfs",
        f"StatefulSet/{RELEASE}-metastore": "questlog-metastore",
        f"Deployment/{RELEASE}-trino": "questlog-trino",
        f"CronJob/{RELEASE}-stream-maintenance": "questlog-stream",
    }
    for name, user in users.items():
        if name.startswith("CronJob/"):
            job = by_kind(objects, "CronJob")[name.split("/")[1]]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            env = {e["name"]: e.get("value") for e in job["containers"][0]["env"]}
            assert env["HADOOP_USER_NAME"] == user and env["QUESTLOG_STREAM_HDFS_UMASK"] == "007"
        else:
            assert hdfs_user(objects, name) == user, name
    app = by_kind(objects, "SparkApplication")[f"{RELEASE}-stream"]["spec"]
    for role in ("driver", "executor"):
        assert {"name": "HADOOP_USER_NAME", "value": "questlog-stream"} in app[role]["env"], role
    assert {"name": "QUESTLOG_STREAM_HDFS_UMASK", "value": "007"} in app["driver"]["env"]
    # The metastore's and Trino's clients create files for the lake group only.
    metastore = by_kind(objects, "ConfigMap")[f"{RELEASE}-metastore"]["data"]["core-site.xml"]
    trino_hdfs = by_kind(objects, "ConfigMap")[f"{RELEASE}-trino"]["data"]["hdfs-site.xml"]
    assert hadoop_props(metastore)["fs.permissions.umask-mode"] == "007"
    assert hadoop_props(trino_hdfs)["fs.permissions.umask-mode"] == "007"


def test_hdfs_directories_cover_the_warehouse_and_the_checkpoint() -> None:
    objects = rendered("default")[1]
    job = pod_spec(objects, f"Job/{RELEASE}-hdfs-permissions")["containers"][0]
    lines = next(e["value"] for e in job["env"] if e["name"] == "HDFS_DIRECTORIES").split("\n")
    dirs = {line.split()[0]: line.split()[1:] for line in lines if line.strip()}
    driver = {
        e["name"]: e.get("value")
        for e in by_kind(objects, "SparkApplication")[f"{RELEASE}-stream"]["spec"]["driver"]["env"]
    }
    warehouse = driver["QUESTLOG_STREAM_WAREHOUSE"].split(":8020", 1)[1]
    checkpoint = driver["QUESTLOG_STREAM_CHECKPOINT"].split(":8020", 1)[1]
    assert dirs[warehouse] == ["questlog-stream", "questlog-lake", "0770"]
    parent = max((d for d in dirs if checkpoint.startswith(d + "/")), key=len)
    assert dirs[parent] == ["questlog-stream", "questlog-stream", "0700"], "the checkpoint is not the stream's alone"
    assert all(mode[-1] in "05" or mode == "1777" for _o, _g, mode in dirs.values()), "a directory others may write"
    hook = by_kind(objects, "Job")[f"{RELEASE}-hdfs-permissions"]["metadata"]["annotations"]
    assert hook["helm.sh/hook"] == "post-install,post-upgrade"


def test_hdfs_open_when_switched_off() -> None:
    objects = render("--set", "global.hdfsPermissions.enabled=false")
    site = hadoop_props(by_kind(objects, "ConfigMap")[f"{RELEASE}-hdfs"]["data"]["hdfs-site.xml"])
    assert site["dfs.permissions.enabled"] == "false"
    assert f"{RELEASE}-hdfs-permissions" not in by_kind(objects, "Job")
    for name, spec in pod_specs(objects):
        env = [e["name"] for c in spec["containers"] for e in c.get("env", [])]
        assert "HADOOP_USER_NAME" not in env, name


def test_the_models_cronjob_logs_in_as_a_writer_with_a_mounted_password() -> None:
    objects = rendered("default")[1]
    env = env_of(objects, f"CronJob/{RELEASE}-models")
    assert env["QUESTLOG_MODELS_TARGET"] == "cluster" and env["QUESTLOG_MODELS_TRINO_USER"] == "pipeline"
    assert env["QUESTLOG_MODELS_TRINO_PORT"] == "8443"
    assert env["QUESTLOG_MODELS_TRINO_PASSWORD_FILE"] == "/etc/questlog/trino-credentials/password"
    volumes = {
        v["name"]: v["secret"] for v in pod_spec(objects, f"CronJob/{RELEASE}-models")["volumes"] if "secret" in v
    }
    assert volumes["trino-credentials"]["items"] == [{"key": "pipeline-password", "path": "password"}]
    assert volumes["trino-tls"]["items"] == [{"key": "ca.crt", "path": "ca.crt"}]
    # open Trino (as the local stack): plain HTTP, no password
    env = env_of(render("--set", "global.trinoAuth.enabled=false"), f"CronJob/{RELEASE}-models")
    assert env["QUESTLOG_MODELS_TARGET"] == "trino" and env["QUESTLOG_MODELS_TRINO_PORT"] == "8080"
    assert "QUESTLOG_MODELS_TRINO_PASSWORD_FILE" not in env


def test_the_models_refuse_a_trino_user_that_may_not_write() -> None:
    done = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--set", "models.trinoUser=analyst")
    assert done.returncode != 0 and "must be one of global.trinoAuth.writeUsers" in done.stderr
