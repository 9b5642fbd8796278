"""The chart's locked Kafka, for real: a private broker runs the server.properties `helm template`
renders with global.kafkaAuth on (SASL/SCRAM for clients, SASL/PLAIN between controllers, ACLs deny
by default), the chart's hook script (images/kafka/kafka-create-topics) sets the users and ACLs, and
real clients with the API's and the stream's credentials may do exactly what the chart promises.

Only the addresses, the log directory and the directory of the mounted Secret are changed from the
rendered file (the pod's DNS names and paths do not exist here); every security setting is used as
rendered. Loopback only, one JVM of 320 MiB.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.charts.conftest import RELEASE, by_kind, properties, rendered
from tests.conftest import ROOT
from tests.integration.processes import free_port, stop

KAFKA_HOME = ROOT / ".cache" / "kafka"
JAVA = Path("/usr/lib/jvm/java-17-openjdk-amd64/bin/java")
PASSWORDS = {user: uuid.uuid4().hex for user in ("admin", "controller", "api", "stream")}
TOPICS = ("events", "events.dlq")
OTHER = "not-for-the-api"


def rendered_server_properties() -> dict[str, str]:
    """server.properties of the chart's Kafka ConfigMap, with Kafka locked (the default values)."""
    configmap = by_kind(rendered("default")[1], "ConfigMap")[f"{RELEASE}-kafka"]
    return properties(configmap["data"]["server.properties"])


@dataclass
class Broker:
    bootstrap: str
    log: Path

    def client(self, user: str | None, password: str | None = None, **extra: object) -> dict[str, object]:
        config: dict[str, object] = {"bootstrap.servers": self.bootstrap, **extra}
        if user:
            config |= {
                "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": "SCRAM-SHA-512",
                "sasl.username": user,
                "sasl.password": password or PASSWORDS[user],
            }
        return config


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    props = rendered_server_properties()
    work = tmp_path_factory.mktemp("kafka-locked")
    # The Secret as the pods mount it: one file <user>-password per key.
    secrets = work / "kafka-credentials"
    secrets.mkdir(mode=0o700)
    for user, password in PASSWORDS.items():
        (secrets / f"{user}-password").write_text(password)
    props = {k: v.replace("/etc/questlog/kafka-credentials", str(secrets)) for k, v in props.items()}
    client, controller = free_port(), free_port()
    props |= {
        "node.id": "0",
        "controller.quorum.voters": f"0@127.0.0.1:{controller}",
        "listeners": f"CLIENT://127.0.0.1:{client},CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"CLIENT://127.0.0.1:{client}",
        "log.dirs": str(work / "data"),
    }
    conf = work / "server.properties"
    conf.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    env = dict(os.environ)
    log4j = work / "log4j2.xml"
    log4j.write_text(
        '<Configuration status="WARN"><Appenders><Console name="o" target="SYSTEM_OUT">'
        '<PatternLayout pattern="%d %p %m%n"/></Console></Appenders>'
        '<Loggers><Root level="INFO"><AppenderRef ref="o"/></Root></Loggers></Configuration>'
    )
    java = [str(JAVA), "-cp", f"{KAFKA_HOME}/lib/*", f"-Dlog4j2.configurationFile={log4j}"]
    # As images/kafka/entrypoint.sh formats a new volume: the super user's SCRAM credential goes in.
    scram = f"SCRAM-SHA-512=[name=admin,password={PASSWORDS['admin']}]"
    fmt = [*java, "-Xmx256m", "kafka.tools.StorageTool", "format", "--cluster-id", "cXVlc3Rsb2cta2Fma2EQAA"]
    done = subprocess.run(
        [*fmt, "--config", str(conf), "--add-scram", scram], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    log = work / "kafka.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*java, "-Xms320m", "-Xmx320m", "kafka.Kafka", str(conf)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        broker = Broker(f"127.0.0.1:{client}", log)
        admin = AdminClient(broker.client("admin"))
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"the locked broker exited:\n{log.read_text()[-4000:]}"
            try:
                admin.list_topics(timeout=5)
                break
            except KafkaException:
                assert time.monotonic() < deadline, (
                    f"the locked broker did not answer in 120 s:\n{log.read_text()[-4000:]}"
                )
                time.sleep(1)
        # The chart's hook Job, with the environment job-topics.yaml gives it.
        hook = {
            **os.environ,
            "KAFKA_HOME": str(KAFKA_HOME),
            "KAFKA_ACL_TOPICS": ",".join(TOPICS),
            "KAFKA_ACL_PRODUCER": "api",
            "KAFKA_ACL_CONSUMER": "stream",
            "KAFKA_ACL_GROUP_PREFIX": "questlog-stream",
            "KAFKA_CREDENTIALS_DIR": str(secrets),
            "PATH": f"{JAVA.parent}:{os.environ['PATH']}",
        }
        script = ROOT / "images" / "kafka" / "kafka-create-topics"
        done = subprocess.run(
            ["bash", str(script), broker.bootstrap, "2", "1", *TOPICS, OTHER],
            env=hook,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "users and ACLs set" in done.stdout, done.stdout
        yield broker
    finally:
        stop(proc)
        shutil.rmtree(work / "data", ignore_errors=True)


def produce(config: dict[str, object], topic: str, idempotent: bool = True) -> KafkaError | None:
    """Produce one record (acks=all, idempotent as the API unless told) and return its delivery error.
    (An idempotent producer of a user with no Write anywhere fails fatally before any topic check.)"""
    errors: list[KafkaError | None] = []
    producer = Producer({**config, "acks": "all", "enable.idempotence": idempotent, "message.timeout.ms": 15000})
    producer.produce(topic, b'{"probe": true}', on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(30)
    assert errors, f"no delivery report for {topic} within 30 s"
    return errors[0]


def read_one(config: dict[str, object], topic: str, group: str) -> tuple[bytes | None, KafkaError | None]:
    """Read the first record of partition 0..1 of a topic; return (value, error)."""
    consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(2)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is None:
                continue
            if msg.error():
                return None, msg.error()
            return msg.value(), None
        return None, None
    finally:
        consumer.close()


def join_error(config: dict[str, object], topic: str, group: str) -> KafkaError | None:
    """Join a consumer group on a topic (subscribe: the group coordinator is asked) and return the
    first error within 30 s, None if the group could be used (a record read)."""
    consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is not None:
                return msg.error()
        raise AssertionError(f"neither a record nor an error from group {group} within 30 s")
    finally:
        consumer.close()


def test_api_user_may_write_only_the_pipeline_topics(broker: Broker) -> None:
    for topic in TOPICS:
        assert produce(broker.client("api"), topic) is None, f"api could not write {topic}"
    err = produce(broker.client("api"), OTHER)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, err


def test_api_user_may_not_read(broker: Broker) -> None:
    assert produce(broker.client("api"), TOPICS[0]) is None
    value, err = read_one(broker.client("api"), TOPICS[0], "questlog-stream-by-api")
    assert value is None and err is not None, (value, err)
    assert err.code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED), err


def test_stream_user_reads_in_its_groups_only_and_may_not_write(broker: Broker) -> None:
    assert produce(broker.client("api"), TOPICS[0]) is None
    value, err = read_one(broker.client("stream"), TOPICS[0], f"questlog-stream-{uuid.uuid4().hex[:8]}")
    assert err is None and value == b'{"probe": true}', (value, err)
    # Spark assigns partitions (no group needed to read); a group is needed to subscribe or commit.
    assert join_error(broker.client("stream"), TOPICS[0], f"questlog-stream-{uuid.uuid4().hex[:8]}") is None
    err = join_error(broker.client("stream"), TOPICS[0], "someone-elses-group")
    assert err is not None and err.code() == KafkaError.GROUP_AUTHORIZATION_FAILED, err
    err = produce(broker.client("stream"), TOPICS[1], idempotent=False)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, err


def test_wrong_password_and_no_credentials_are_refused(broker: Broker) -> None:
    err = produce(broker.client("api", password="not-the-password"), TOPICS[0])
    assert err is not None, "a wrong password could write"
    assert "Authentication" in str(err) or err.code() == KafkaError._MSG_TIMED_OUT, err
    err = produce(broker.client(None), TOPICS[0])
    assert err is not None, "a client without credentials could write"


def test_no_password_in_the_rendered_config() -> None:
    text = "\n".join(f"{k}={v}" for k, v in rendered_server_properties().items())
    assert 'password="${dir:/etc/questlog/kafka-credentials:admin-password}"' in text
    assert 'user_controller="${dir:/etc/questlog/kafka-credentials:controller-password}"' in text
    assert "allow.everyone.if.no.acl.found=false" in text
