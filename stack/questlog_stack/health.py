"""Health probes: each answers (healthy, detail) quickly and never raises."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

Probe = tuple[bool, str]


def _get_json(url: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
        return json.load(response)


def tcp(port: int, host: str = "127.0.0.1") -> Probe:
    """Probe that something accepts connections on a port."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True, f"port {port} open"
    except OSError as exc:
        return False, f"port {port}: {exc.strerror or exc}"


def kafka(bootstrap: str = "127.0.0.1:9092", config: dict[str, str] | None = None) -> Probe:
    """Probe that the broker answers a metadata request (config: more client settings, e.g. SASL)."""
    from confluent_kafka.admin import AdminClient

    try:
        client = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0, **(config or {})})
        meta = client.list_topics(timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means not healthy
        return False, f"metadata request failed: {exc}"
    return True, f"{len(meta.brokers)} broker(s), {len(meta.topics)} topic(s)"


def _namenode_bean(name: str) -> dict[str, Any]:
    beans = _get_json(f"http://127.0.0.1:9870/jmx?qry=Hadoop:service=NameNode,name={name}")
    return dict(beans["beans"][0])


def namenode() -> Probe:
    """Probe that the NameNode is up and active (safe mode ends once the DataNode reports)."""
    try:
        state = _namenode_bean("NameNodeStatus").get("State")
    except Exception as exc:  # noqa: BLE001 - any failure means not healthy
        return False, f"jmx: {exc}"
    return state == "active", f"state {state}"


def datanode() -> Probe:
    """Probe that the NameNode sees a live DataNode and has left safe mode (HDFS is writable)."""
    try:
        live = int(_namenode_bean("FSNamesystemState")["NumLiveDataNodes"])
        safemode = _namenode_bean("NameNodeInfo").get("Safemode")
    except Exception as exc:  # noqa: BLE001
        return False, f"jmx: {exc}"
    if safemode:
        return False, f"{live} live datanode(s), NameNode in safe mode"
    return live >= 1, f"{live} live datanode(s), HDFS writable"


def metastore(script: Path) -> Probe:
    """Probe that the metastore answers a real thrift call (get_all_databases)."""
    try:
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False, "thrift call timed out"
    if result.returncode != 0:
        lines = (result.stdout + result.stderr).strip().splitlines()
        return False, lines[-1][:120] if lines else "thrift call failed"
    return True, f"databases: {result.stdout.strip()}"


def trino() -> Probe:
    """Probe that Trino has finished starting."""
    try:
        info = _get_json("http://127.0.0.1:8080/v1/info")
    except Exception as exc:  # noqa: BLE001
        return False, f"/v1/info: {exc}"
    if info.get("starting", True):
        return False, "starting"
    return True, f"version {info.get('nodeVersion', {}).get('version', '?')}"


def api(port: int = 5000) -> Probe:
    """Probe that the API is ready (Kafka reachable)."""
    try:
        body = _get_json(f"http://127.0.0.1:{port}/readyz")
    except Exception as exc:  # noqa: BLE001
        return False, f"/readyz: {exc}"
    return body.get("status") == "ready", f"kafka {body.get('kafka')}"


def stream(progress_file: Path, stale_after_s: float = 120.0) -> Probe:
    """Probe that the streaming job reports progress and is not stale."""
    try:
        progress = json.loads(progress_file.read_text())
    except (OSError, ValueError):
        return False, "no progress reported yet"
    age = time.time() - progress.get("updated", 0)
    detail = (
        f"{progress.get('input_rows_per_second', 0):.0f} rows/s, "
        f"batch {progress.get('batch_duration_ms', 0)} ms, lag {progress.get('lag', '?')}"
    )
    if progress.get("state") != "running" or age > stale_after_s:
        return False, f"state {progress.get('state')}, last update {age:.0f}s ago"
    return True, detail


def maintenance(progress_file: Path, stale_after_s: float = 900.0) -> Probe:
    """Probe that the table-maintenance loop runs (it reports after every pass, at least every few seconds)."""
    try:
        progress = json.loads(progress_file.read_text())
    except (OSError, ValueError):
        return False, "no progress reported yet"
    age = time.time() - progress.get("updated", 0)
    if progress.get("state") != "running" or age > stale_after_s:
        return False, f"state {progress.get('state')}, last update {age:.0f}s ago"
    return True, f"{progress.get('runs', 0)} passes over {len(progress.get('tables', {}))} tables"
