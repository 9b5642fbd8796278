"""Scenario 5: Kafka's data directory fills up. The API must refuse (503) rather than acknowledge and lose.

A second broker (ports 19092/19093) keeps its data on a 32 MiB tmpfs and a second API (port 5001) in
front of it, so the shared stack's broker is never filled. Once the API refuses, the tmpfs is grown
(as an operator would free space), the broker restarted, and the topic read back: every acknowledged
event is there once, and resending the refused ones with their event_ids stores each once too."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import requests
from confluent_kafka import Consumer, TopicPartition
from questlog_stack import bootstrap, health

from tests.chaos.lake import compare
from tests.chaos.load import LoadDriver, canary, post_until_acknowledged, resend_unacknowledged, simulator_batches
from tests.chaos.scenario import PATHS, SERVICES, assert_exact

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(900)]

BOOTSTRAP, CONTROLLER, API_PORT = "127.0.0.1:19092", "127.0.0.1:19093", 5001
API = f"http://127.0.0.1:{API_PORT}"
DISK_MIB, GROWN_MIB = 32, 256
ROOT = PATHS.var / "chaos" / "disk-pressure"
CLUSTER_ID = "cXVlc3Rsb2ctY2hhb3MQAA"  # base64 of 16 bytes, like the stack's own


def broker_properties(data: Path, meta: Path) -> str:
    """The stack's broker settings, on other ports, data on the small disk and small segments."""
    text = (PATHS.root / "stack" / "conf" / "kafka" / "server.properties").read_text()
    text = text.replace("127.0.0.1:9093", CONTROLLER).replace("127.0.0.1:9092", BOOTSTRAP)
    text = text.replace("${QL_VAR}/data/kafka", str(data))
    # The metadata log stays on the big disk: only the event data fills the small one.
    return text + f"\nmetadata.log.dir={meta}\nlog.segment.bytes=1048576\nlog.index.size.max.bytes=65536\n"


def spawn(name: str, command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with open(PATHS.log(f"chaos-{name}"), "ab") as out:
        return subprocess.Popen(
            command,
            cwd=PATHS.root,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )


def kafka_command(*args: str, log4j: str = "log4j2.xml") -> list[str]:
    """Run a Kafka class with the stack's JDK and jars (as stack/bin/run-kafka does)."""
    log4j = str(PATHS.var / "conf" / "kafka" / log4j)
    script = (
        f'source stack/bin/common.sh; exec "$JAVA17_HOME/bin/java" -Xms256m -Xmx256m -cp "$QL_CACHE/kafka/lib/*" '
        f'-Dlog4j2.configurationFile={log4j} "$@"'
    )
    return ["bash", "-c", script, "kafka", *args]


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait(check, what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"{what} not ready within {timeout_s:.0f}s")


def api_ready() -> bool:
    try:
        return requests.get(f"{API}/readyz", timeout=3).status_code == 200
    except requests.RequestException:
        return False


def topic_event_ids(topic: str = "events") -> Counter[str]:
    """Read a topic of the second broker to its end; count each event_id."""
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"chaos-{uuid.uuid4().hex}"})
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        counts: Counter[str] = Counter()
        positions = dict.fromkeys(partitions, 0)
        deadline = time.monotonic() + 120
        while any(positions[p] < ends[p] for p in partitions) and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error() is not None:
                continue
            positions[msg.partition()] = msg.offset() + 1
            counts[orjson.loads(msg.value())["event_id"]] += 1
        assert all(positions[p] >= ends[p] for p in partitions), f"read {positions}, end offsets {ends}"
        return counts
    finally:
        consumer.close()


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 32 MiB tmpfs for the second broker's data; unmounted and removed whatever happens."""
    shutil.rmtree(ROOT, ignore_errors=True)
    data = ROOT / "data"
    data.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MIB}m", "questlog-chaos", str(data)], check=True)
    try:
        yield data
    finally:
        subprocess.run(["umount", "-l", str(data)], check=False)
        shutil.rmtree(ROOT, ignore_errors=True)


def test_full_kafka_disk_refuses_instead_of_losing(small_disk, results):
    meta, conf = ROOT / "meta", ROOT / "server.properties"
    conf.write_text(broker_properties(small_disk, meta))
    fmt = subprocess.run(
        kafka_command(
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            CLUSTER_ID,
            "--config",
            str(conf),
            log4j="tools-log4j2.xml",
        ),
        cwd=PATHS.root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    broker = api = None
    run_id = f"chaos-disk-{uuid.uuid4().hex[:6]}"
    try:
        broker = spawn("kafka", kafka_command("kafka.Kafka", str(conf)))
        wait(lambda: health.kafka(BOOTSTRAP)[0], "second broker")
        bootstrap.create_topics(BOOTSTRAP)
        api = spawn(
            "api",
            list(SERVICES["api"].command),
            {
                "GUNICORN_BIND": f"127.0.0.1:{API_PORT}",
                "GUNICORN_WORKERS": "1",
                "QUESTLOG_API_BOOTSTRAP_SERVERS": BOOTSTRAP,
                "QUESTLOG_API_ACCESS_LOG": "false",
                "PROMETHEUS_MULTIPROC_DIR": str(ROOT / "api-metrics"),
            },
        )
        wait(api_ready, "second API")

        driver = LoadDriver(simulator_batches(run_id, 200_000, batch_size=500, duplicate_rate=0.0), rate=5000, api=API)
        driver.start()
        # The topic holds every copy the API took (dedup is the stream's job), so the plan sends no copies.
        # Fill the disk; once the API refuses, keep sending a while to see it keeps refusing.
        wait(lambda: bool(driver.outcomes.refused) or not driver.is_alive(), "first refusal", timeout_s=300)
        filled_at = time.monotonic()
        time.sleep(15)
        outcomes = driver.stop()
        assert outcomes.refused, f"the API never refused; statuses {dict(outcomes.statuses)}"
        usage = shutil.disk_usage(small_disk)

        # Free space (grow the tmpfs) and restart the broker; the same API process must recover.
        subprocess.run(["mount", "-o", f"remount,size={GROWN_MIB}m", str(small_disk)], check=True)
        stop(broker)
        broker = spawn("kafka", kafka_command("kafka.Kafka", str(conf)))
        restarted_at = time.monotonic()
        post_until_acknowledged(outcomes, canary(run_id), timeout_s=180, api=API)
        recovery = time.monotonic() - restarted_at

        first = compare(outcomes, topic_event_ids())
        resent = resend_unacknowledged(outcomes, api=API)
        final = compare(outcomes, topic_event_ids())
        row = {
            "scenario": "kafka-disk-full",
            "run_id": run_id,
            **first,
            "resent": resent,
            "missing_after_resend": final["sent"] - final["landed"],
            "duplicates_after_resend": final["duplicates"],
            "unacknowledged_after_resend": len(outcomes.unacknowledged()),
            "recovery_s": round(recovery, 1),
            "api_outage_s": round(time.monotonic() - filled_at, 1),
            "statuses": dict(outcomes.statuses),
            "refusals_without_retry_after": outcomes.refusals_without_retry_after,
            "disk_used_when_full_mib": round(usage.used / 2**20, 1),
            "disk_size_mib": DISK_MIB,
            "landed_means": "present in the second broker's topic (no stream on this broker)",
        }
        results.add(row)
    finally:
        stop(api)
        stop(broker)
    assert_exact(row)
    assert row["refused"] > 0 and row["acknowledged"] > 0, row
