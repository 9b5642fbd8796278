"""helm test checks of a questlog release; each one does real work against a component.

Usage: python check.py kafka|hdfs|metastore|trino|pipeline   (settings from TEST_* variables)
Runs in the API image (Python with confluent-kafka); everything else is the standard library.
"""

from __future__ import annotations

import base64
import importlib.machinery
import json
import os
import ssl
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any


def _metastore_ping() -> Any:
    """Load metastore-ping (a copy of stack/bin/metastore-ping, mounted beside this file)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metastore-ping")
    return importlib.machinery.SourceFileLoader("metastore_ping", path).load_module()


ENV = os.environ


def http_json(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
    context: ssl.SSLContext | None = None,
) -> tuple[int, Any]:
    """Send one request; return the status and the decoded JSON body."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def trino(sql: str) -> list[list[Any]]:
    """Run one statement through Trino's client protocol and return all rows. A locked Trino
    (TEST_TRINO_USER set): HTTPS trusting TEST_TRINO_CA_FILE, password from TEST_TRINO_PASSWORD_FILE."""
    base = ENV["TEST_TRINO_URL"]
    user = ENV.get("TEST_TRINO_USER", "helm-test")
    headers = {"X-Trino-User": user, "X-Trino-Catalog": "lake", "X-Trino-Schema": "game"}
    context = None
    if ENV.get("TEST_TRINO_PASSWORD_FILE"):
        password = Path(ENV["TEST_TRINO_PASSWORD_FILE"]).read_text().rstrip("\n")
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        context = ssl.create_default_context(cafile=ENV["TEST_TRINO_CA_FILE"])
    status, page = http_json("POST", f"{base}/v1/statement", sql.encode(), headers, context=context)
    rows: list[list[Any]] = []
    while True:
        if status != 200:
            raise RuntimeError(f"trino answered {status}: {page}")
        if page.get("error"):
            raise RuntimeError(f"trino: {page['error'].get('message')}")
        rows += page.get("data") or []
        if not page.get("nextUri"):
            return rows
        time.sleep(0.1)
        status, page = http_json("GET", page["nextUri"], headers=headers, context=context)


def check_kafka() -> str:
    from confluent_kafka.admin import AdminClient

    config = {"bootstrap.servers": ENV["TEST_KAFKA"]}
    # TEST_KAFKA_SASL_USERNAME -> sasl.username, as the API reads QUESTLOG_API_KAFKA_* (locked Kafka);
    # a name ending in _FILE is a file holding the value (the mounted Secret).
    for name, value in ENV.items():
        if name.startswith("TEST_KAFKA_"):
            key = name[len("TEST_KAFKA_") :]
            if key.endswith("_FILE"):
                key, value = key.removesuffix("_FILE"), Path(value).read_text().rstrip("\n")
            config[key.lower().replace("_", ".")] = value
    topics = AdminClient(config).list_topics(timeout=20).topics
    # the erasure log too (user `api` may describe it: it writes the requests)
    wanted = {ENV["TEST_TOPIC"], ENV["TEST_DLQ_TOPIC"], ENV.get("TEST_ERASURES_TOPIC", "erasures")}
    missing = wanted - set(topics)
    assert not missing, f"topics missing: {sorted(missing)} (have {sorted(topics)})"
    return f"topics {sorted(wanted)} exist"


def check_hdfs() -> str:
    base = f"http://{ENV['TEST_NAMENODE_HTTP']}"
    status, state = http_json("GET", f"{base}/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState")
    assert status == 200, f"namenode jmx answered {status}"
    live = state["beans"][0]["NumLiveDataNodes"]
    assert live >= 1, "no live DataNode"
    status, root = http_json("GET", f"{base}/webhdfs/v1/?op=GETFILESTATUS&user.name=helm-test")
    assert status == 200 and root["FileStatus"]["type"] == "DIRECTORY", f"webhdfs: {status} {root}"
    return f"{live} live DataNode(s), / is a directory"


def check_metastore() -> str:
    host, port = ENV["TEST_METASTORE"].rsplit(":", 1)
    databases = _metastore_ping().get_all_databases(host, int(port), timeout=20)
    assert "default" in databases, f"databases: {databases}"
    return f"databases: {databases}"


def check_trino() -> str:
    assert trino("SELECT 1") == [[1]]
    schemas = [row[0] for row in trino("SHOW SCHEMAS FROM lake")]
    if ENV.get("TEST_TRINO_USER"):  # locked: the read-only user may not write
        try:
            trino("CREATE TABLE lake.game.helm_test_denied (x integer)")
        except RuntimeError as exc:
            assert "Access Denied" in str(exc), f"CREATE TABLE failed, but not for access: {exc}"
        else:
            raise AssertionError(f"read-only user {ENV['TEST_TRINO_USER']} could create a table in lake.game")
        return f"lake schemas: {schemas}; {ENV['TEST_TRINO_USER']} may read, not write"
    return f"lake schemas: {schemas}"


def check_pipeline() -> str:
    """Post one event through the API and wait until Trino returns it from lake.game."""
    event_id = str(uuid.uuid4())
    event = {
        "event_type": "purchase_weapon",
        "event_id": event_id,
        "user_id": f"helm-test-{event_id[:8]}",
        "weapon_type": "sword",
        "gold_cost": 1,
    }
    headers = {"Content-Type": "application/json"}
    key_file = ENV.get("TEST_API_KEY_FILE")
    if key_file:
        with open(key_file) as f:
            headers["X-Api-Key"] = next(line.strip() for line in f if line.strip())
    status, body = http_json("POST", f"http://{ENV['TEST_API']}/v1/events", json.dumps(event).encode(), headers)
    assert status == 202, f"API answered {status}: {body}"
    deadline = time.monotonic() + float(ENV.get("TEST_TIMEOUT", "300"))
    sql = f"SELECT count(*), max(gold_cost) FROM purchase_weapon WHERE event_id = '{event_id}'"
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = trino(sql)
            if last == [[1, 1]]:
                return f"event {event_id} is in lake.game.purchase_weapon"
        except RuntimeError as exc:  # the table may not exist until the stream's first batch
            last = exc
        time.sleep(3)
    raise AssertionError(f"event {event_id} not in Trino after the timeout; last answer: {last}")


CHECKS = {
    "kafka": check_kafka,
    "hdfs": check_hdfs,
    "metastore": check_metastore,
    "trino": check_trino,
    "pipeline": check_pipeline,
}

if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in CHECKS:
        sys.exit(f"usage: check.py {{{'|'.join(CHECKS)}}}")
    print(f"{name}: {CHECKS[name]()}")
