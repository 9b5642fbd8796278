"""Service names and ports in the chart agree with the local stack and with what the applications
are configured to use (the API, the stream job, Trino's catalog, the metastore)."""

from __future__ import annotations

import re

from questlog_api.settings import Settings as ApiSettings
from questlog_core.settings import variables
from questlog_stream.settings import Settings as StreamSettings

from tests.charts.conftest import ROOT, by_kind, rendered

# Service -> {port name: port}: the contract every component relies on.
CONTRACT = {
    "ql-kafka": {"client": 9092},
    "ql-hdfs-namenode": {"rpc": 8020, "http": 9870},
    "ql-metastore": {"thrift": 9083},
    "ql-trino": {"http": 8080, "https": 8443},  # https: clients of the locked Trino (global.trinoAuth)
    "ql-api": {"http": 5000},
}
POD_ENDPOINT = re.compile(r"\bql-[a-z0-9-]+-\d+\.(ql-[a-z0-9-]+)\.[a-z0-9.-]+:(\d{2,5})\b")
ENDPOINT = re.compile(r"\b(ql-[a-z0-9-]+):(\d{2,5})\b")


def stack_port(path: str, pattern: str) -> int:
    match = re.search(pattern, (ROOT / path).read_text(), flags=re.M)
    assert match, f"{pattern} not in {path}"
    return int(match.group(1))


def test_contract_ports_are_the_local_stack_ports():
    assert stack_port("stack/conf/kafka/server.properties", r"^listeners=PLAINTEXT://[\d.]+:(\d+)") == 9092
    assert stack_port("stack/conf/hadoop/hdfs-site.xml", r"rpc-address</name>\s*<value>[\d.]+:(\d+)") == 8020
    assert stack_port("stack/conf/hadoop/hdfs-site.xml", r"namenode.http-address</name>\s*<value>[\d.]+:(\d+)") == 9870
    assert stack_port("stack/conf/metastore/metastore-site.xml", r"thrift.port</name><value>(\d+)") == 9083
    assert stack_port("stack/conf/trino/config.properties", r"^http-server.http.port=(\d+)") == 8080
    assert stack_port("services/api/gunicorn.conf.py", r'"GUNICORN_BIND", "[\d.]+:(\d+)"') == 5000
    assert ApiSettings().bootstrap_servers.endswith(":9092")
    stream = StreamSettings()
    assert stream.bootstrap_servers.endswith(":9092") and stream.metastore_uri.endswith(":9083")
    assert ":8020/" in stream.warehouse and ":8020/" in stream.checkpoint


def test_services_have_the_contract_names_and_ports(objects):
    services = by_kind(objects, "Service")
    for name, ports in CONTRACT.items():
        assert name in services, name
        assert {p["name"]: p["port"] for p in services[name]["spec"]["ports"]} == ports, name


def test_every_address_in_the_release_names_a_service_port(objects):
    """Any "ql-<svc>:<port>" in config maps, env, args or the SparkApplication must exist."""
    text, _ = rendered("default")
    services = by_kind(objects, "Service")
    found = set(POD_ENDPOINT.findall(text)) | set(ENDPOINT.findall(POD_ENDPOINT.sub("", text)))
    assert found
    for service, port in found:
        assert service in services, f"{service}:{port} names no Service"
        assert int(port) in {p["port"] for p in services[service]["spec"]["ports"]}, f"{service}:{port}"
    assert {s for s, _ in found} >= set(CONTRACT)


def env_of(objects, kind, name):
    if kind == "ConfigMap":
        return by_kind(objects, "ConfigMap")[name]["data"]
    app = by_kind(objects, "SparkApplication")[name]
    return {e["name"]: e["value"] for e in app["spec"]["driver"]["env"] if "value" in e}


class LookupRecorder(dict):
    """An empty environment that notes every name looked up in it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def get(self, key, default=None):
        self.names.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.names.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.names.add(key)
        return super().__contains__(key)


def known_variables(cls, prefix: str, module: str) -> set[str]:
    """The variables a Settings class reads: one per field (questlog_core.settings), plus those its
    from_env derives fields from (named in the module as PREFIX + "NAME", or however it spells them:
    every name from_env looks up, e.g. _keys(env, "ADMIN_KEYS") reads ADMIN_KEYS and ADMIN_KEYS_FILE)."""
    derived = re.findall(r'PREFIX \+ "([A-Z0-9_]+)"', (ROOT / module).read_text())
    recorder = LookupRecorder()
    cls.from_env(recorder)
    looked_up = {name for name in recorder.names if name.startswith(prefix)}
    return set(variables(cls, prefix)) | {prefix + n for n in derived} | looked_up


def test_api_settings_point_at_the_release(objects):
    env = env_of(objects, "ConfigMap", "ql-api")
    # parses (every value valid); the key files exist only in the pod, so give the keys directly
    local = {"QUESTLOG_API_KEYS_FILE": "", "QUESTLOG_API_KEYS": "k", "QUESTLOG_API_ADMIN_KEYS_FILE": ""}
    settings = ApiSettings.from_env({**env, **local})
    assert settings.bootstrap_servers == "ql-kafka:9092"
    assert (settings.topic, settings.dlq_topic) == (ApiSettings.topic, ApiSettings.dlq_topic)
    assert settings.erasures_topic == ApiSettings.erasures_topic
    assert settings.auth_enabled and env["QUESTLOG_API_KEYS_FILE"] == "/etc/questlog/api-keys/keys"
    assert env["GUNICORN_BIND"] == "0.0.0.0:5000"
    known = known_variables(ApiSettings, "QUESTLOG_API_", "services/api/questlog_api/settings.py")
    for name in env:
        if name.startswith("QUESTLOG_API_"):
            assert name in known, f"{name} is not a setting of the API"


def test_stream_settings_point_at_the_release(objects):
    env = env_of(objects, "SparkApplication", "ql-stream")
    settings = StreamSettings.from_env(env)
    assert settings.bootstrap_servers == "ql-kafka:9092"
    assert settings.metastore_uri == "thrift://ql-metastore:9083"
    assert settings.warehouse == "hdfs://ql-hdfs-namenode:8020/warehouse"
    assert settings.checkpoint.startswith("hdfs://ql-hdfs-namenode:8020/")
    assert (settings.topic, settings.dlq_topic) == (StreamSettings.topic, StreamSettings.dlq_topic)
    assert settings.erasures_topic == StreamSettings.erasures_topic
    assert (settings.catalog, settings.namespace) == ("lake", "game")
    known = known_variables(StreamSettings, "QUESTLOG_STREAM_", "jobs/spark-stream/questlog_stream/settings.py")
    for name in env:
        if name.startswith("QUESTLOG_STREAM_KAFKA_"):  # Kafka client properties, passed through
            assert name.removeprefix("QUESTLOG_STREAM_KAFKA_").lower().replace("_", ".") in (
                "security.protocol",
                "sasl.mechanism",
                "sasl.username",
                "sasl.password.file",
            ), name
            continue
        if name == "HADOOP_USER_NAME":  # Hadoop's own: the HDFS user of simple authentication
            assert env[name] == "questlog-stream"
            continue
        if name == "MALLOC_ARENA_MAX":  # glibc's, as stack/bin/run-stream sets it locally
            assert env[name] == "2"
            continue
        assert name in known, f"{name} is not a setting of the job"


def test_trino_metastore_and_hadoop_configs_point_at_the_release(objects):
    maps = by_kind(objects, "ConfigMap")
    lake = maps["ql-trino"]["data"]["lake.properties"]
    assert "hive.metastore.uri=thrift://ql-metastore:9083" in lake and "connector.name=iceberg" in lake
    assert "127.0.0.1" not in lake
    trino = maps["ql-trino"]["data"]["config.properties"]
    assert "discovery.uri=http://ql-trino:8080" in trino and "http-server.http.port=8080" in trino
    meta = maps["ql-metastore"]["data"]["metastore-site.xml"]
    assert "<value>hdfs://ql-hdfs-namenode:8020/warehouse</value>" in meta
    assert meta.rindex("thrift://ql-metastore:9083") > meta.rindex("thrift://127.0.0.1:9083")
    core = maps["ql-hdfs"]["data"]["core-site.xml"]
    assert core.rindex("hdfs://ql-hdfs-namenode:8020") > core.rindex("hdfs://127.0.0.1:8020")
    kafka = maps["ql-kafka"]["data"]["server.properties"]
    assert "127.0.0.1" not in kafka.split("# Kubernetes overrides")[0].replace("# Loopback only", "")
    assert "listeners=CLIENT://:9092,CONTROLLER://:9093" in kafka  # locked by default (test_access.py)


def test_spark_version_is_the_pinned_one(objects):
    versions = dict(
        line.split("=", 1)
        for line in (ROOT / "stack/versions.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    app = by_kind(objects, "SparkApplication")["ql-stream"]
    assert app["spec"]["sparkVersion"] == versions["SPARK_VERSION"]
