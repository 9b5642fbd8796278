"""The chart's locked Trino, for real: a private coordinator runs the config.properties, rules.json,
access-control.properties and password-authenticator.properties that `helm template` renders with
global.trinoAuth on (the default), with the password file and the HTTPS certificate of the Secrets
the chart generates, against the local stack's metastore and HDFS. Real clients log in as the
chart's users and may do exactly what the chart promises.

Only the addresses, ports and directories are changed from the rendered files (the pod's DNS names
and mount paths do not exist here); every security setting is used as rendered. Loopback only, one
JVM with the chart's coordinator heap (1,536 MiB).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import trino
from questlog_core.registry import ALL_EVENTS_VIEW

from tests.charts.conftest import RELEASE, by_kind, properties, rendered
from tests.conftest import ROOT
from tests.integration.conftest import trino_https
from tests.integration.processes import free_port, stop

TRINO_HOME = ROOT / ".cache" / "trino" / "trino-server-476"
JAVA25 = Path("/usr/lib/jvm/temurin-25-jdk-amd64")
CONF = "/var/lib/questlog/conf/trino"
CATALOGS = ("lake.properties", "tpch.properties")


def _secret(name: str) -> dict[str, str]:
    secret = by_kind(rendered("default")[1], "Secret")[name]
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


@dataclass
class LockedTrino:
    https: int
    http: int
    ca: Path
    passwords: dict[str, str]
    log: Path

    def connect(self, user: str, password: str | None = None) -> trino.dbapi.Connection:
        """A client of the HTTPS port trusting only the release's CA (not the environment's bundle)."""
        return trino.dbapi.connect(
            **trino_https(self.https, user, password, str(self.ca)), catalog="lake", schema="game"
        )

    def run(self, user: str, sql: str) -> list[list[Any]]:
        cursor = self.connect(user, self.passwords[user]).cursor()
        cursor.execute(sql)
        return cursor.fetchall()

    def denied(self, user: str, sql: str) -> str:
        """Run a statement that must be refused for access; return Trino's message."""
        with pytest.raises(trino.exceptions.TrinoUserError) as caught:
            self.run(user, sql)
        assert caught.value.error_name == "PERMISSION_DENIED", f"{user}: {sql}: {caught.value}"
        return str(caught.value.message)


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory, trino_cursor: Any) -> Iterator[LockedTrino]:
    configmap = by_kind(rendered("default")[1], "ConfigMap")[f"{RELEASE}-trino"]["data"]
    credentials = _secret(f"{RELEASE}-trino-credentials")
    tls = _secret(f"{RELEASE}-trino-tls")
    work = tmp_path_factory.mktemp("trino-locked")
    etc, secrets, certs, data = work / "etc", work / "credentials", work / "tls", work / "data"
    for d in (etc / "catalog", secrets, certs, data):
        d.mkdir(parents=True)
    # The Secrets as the coordinator mounts them (only password.db and tls-combined.pem).
    (secrets / "password.db").write_text(credentials["password.db"])
    (certs / "tls-combined.pem").write_text(tls["tls-combined.pem"])
    (work / "ca.crt").write_text(tls["ca.crt"])
    https, http = free_port(), free_port()
    paths = {
        CONF: str(etc),
        "/etc/questlog/trino-credentials": str(secrets),
        "/etc/questlog/trino-tls": str(certs),
        "/opt/trino": str(TRINO_HOME),
        "/var/lib/questlog/data/trino": str(data),
        f"thrift://{RELEASE}-metastore:9083": "thrift://127.0.0.1:9083",
    }
    for key, text in configmap.items():
        for old, new in paths.items():
            text = text.replace(old, new)
        (etc / "catalog" / key if key in CATALOGS else etc / key).write_text(text)
    config = properties((etc / "config.properties").read_text())
    config |= {
        "http-server.http.port": str(http),
        "http-server.https.port": str(https),
        "discovery.uri": f"http://127.0.0.1:{http}",
    }
    (etc / "config.properties").write_text("".join(f"{k}={v}\n" for k, v in config.items()))
    node = properties((etc / "node.properties").read_text())
    node |= {"node.id": "trino-locked", "node.bind-ip": "127.0.0.1", "node.internal-address": "127.0.0.1"}
    (etc / "node.properties").write_text("".join(f"{k}={v}\n" for k, v in node.items()))
    env = {**os.environ, "TRINO_SHARED_SECRET": credentials["shared-secret"]}
    log = work / "trino.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                str(TRINO_HOME / "bin" / "launcher"),
                "run",
                f"--jvm-dir={JAVA25}",
                f"--etc-dir={etc}",
                f"--data-dir={data}",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while "SERVER STARTED" not in log.read_text():
            assert proc.poll() is None, f"the locked Trino exited:\n{log.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"the locked Trino did not start in 180 s:\n{log.read_text()[-4000:]}"
            time.sleep(1)
        users = [line.split(":", 1)[0] for line in credentials["password.db"].splitlines()]
        passwords = {user: credentials[f"{user}-password"] for user in users}
        yield LockedTrino(https, http, work / "ca.crt", passwords, log)
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


def test_the_password_file_holds_bcrypt_hashes_of_every_user(locked: LockedTrino) -> None:
    assert sorted(locked.passwords) == ["admin", "analyst", "pipeline"]
    lines = _secret(f"{RELEASE}-trino-credentials")["password.db"].splitlines()
    for line in lines:
        user, digest = line.split(":", 1)
        assert digest.startswith("$2y$10$") and len(digest) == 60, f"{user}: not a bcrypt hash of cost 10"
        assert locked.passwords[user] not in line, f"{user}: the password itself is in the password file"


def test_no_statement_runs_without_a_valid_password(locked: LockedTrino) -> None:
    for password in (None, "wrong", locked.passwords["admin"]):
        with pytest.raises(trino.exceptions.HttpError, match="401"):
            locked.connect("analyst", password).cursor().execute("SELECT 1")
    with pytest.raises(trino.exceptions.HttpError, match="401"):
        locked.connect("somebody", "anything").cursor().execute("SELECT 1")


def test_the_http_port_serves_probes_but_no_statements(locked: LockedTrino) -> None:
    base = f"http://127.0.0.1:{locked.http}"
    assert requests.get(f"{base}/v1/info", timeout=10).status_code == 200  # the chart's probes
    answer = requests.post(f"{base}/v1/statement", data="SELECT 1", headers={"X-Trino-User": "admin"}, timeout=10)
    assert answer.status_code == 403, answer.text
    auth = ("admin", locked.passwords["admin"])
    answer = requests.post(f"{base}/v1/statement", data="SELECT 1", auth=auth, timeout=10)
    assert answer.status_code == 403, "a password was taken over plain HTTP"


def test_the_certificate_is_trusted_through_the_release_ca_for_local_names(locked: LockedTrino) -> None:
    context = ssl.create_default_context(cafile=str(locked.ca))
    for name in ("127.0.0.1", "localhost"):  # kubectl port-forward
        with (
            socket.create_connection(("127.0.0.1", locked.https), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=name) as tls,
        ):
            names = [v for _k, v in tls.getpeercert()["subjectAltName"]]
    assert f"{RELEASE}-trino.questlog.svc.cluster.local" in names
    with (
        pytest.raises(ssl.SSLCertVerificationError),
        socket.create_connection(("127.0.0.1", locked.https), timeout=10) as raw,
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")


def test_the_read_only_user_reads_the_lake_and_writes_nothing(locked: LockedTrino, trino_cursor: Any) -> None:
    trino_cursor.execute("SHOW TABLES FROM lake.game")
    tables = sorted(r[0] for r in trino_cursor.fetchall())
    assert tables, "the local lake has no tables to read"
    assert sorted(r[0] for r in locked.run("analyst", "SHOW TABLES FROM lake.game")) == tables
    table = next(t for t in tables if t != ALL_EVENTS_VIEW)  # a table, not the view
    trino_cursor.execute(f"SELECT count(*) FROM lake.game.{table}")
    assert locked.run("analyst", f"SELECT count(*) FROM lake.game.{table}") == trino_cursor.fetchall()
    assert locked.run("analyst", "SELECT count(*) FROM tpch.tiny.nation") == [[25]]
    target = f"lake.game.{table}"
    for sql in (
        f"INSERT INTO {target} SELECT * FROM {target} WHERE false",
        f"DELETE FROM {target} WHERE false",
        f"DROP TABLE {target}",
        f"ALTER TABLE {target} ADD COLUMN nope integer",
        "CREATE TABLE lake.game.analyst_denied (x integer)",
        "CREATE SCHEMA lake.analyst_denied",
        "CALL lake.system.rollback_to_snapshot('game', '{table}', 1)",
        "SELECT count(*) FROM system.runtime.nodes",
    ):
        assert "Access Denied" in locked.denied("analyst", sql)


def test_the_pipeline_user_writes_tables_of_the_lake_schemas_only(locked: LockedTrino) -> None:
    table = f"lake.game.trino_locked_{uuid.uuid4().hex[:10]}"
    try:
        locked.run("pipeline", f"CREATE TABLE {table} (n integer)")
        locked.run("pipeline", f"INSERT INTO {table} VALUES (1), (2)")
        locked.run("pipeline", f"DELETE FROM {table} WHERE n = 1")
        assert locked.run("analyst", f"SELECT n FROM {table}") == [[2]]
        assert "Access Denied" in locked.denied("analyst", f"DROP TABLE {table}")
    finally:
        locked.run("pipeline", f"DROP TABLE IF EXISTS {table}")
    assert locked.run("analyst", f"SHOW TABLES FROM lake.game LIKE '{table.rsplit('.', 1)[1]}'") == []
    assert "Access Denied" in locked.denied("pipeline", "CREATE SCHEMA lake.pipeline_denied")
    assert "Access Denied" in locked.denied("pipeline", "SELECT count(*) FROM system.runtime.nodes")


def test_admin_may_manage_schemas_and_see_the_cluster(locked: LockedTrino) -> None:
    schema = f"lake.trino_locked_{uuid.uuid4().hex[:10]}"
    try:
        locked.run("admin", f"CREATE SCHEMA {schema}")
        assert [schema.split(".")[1]] in locked.run("admin", "SHOW SCHEMAS FROM lake")
    finally:
        locked.run("admin", f"DROP SCHEMA IF EXISTS {schema}")
    assert locked.run("admin", "SELECT count(*) FROM system.runtime.nodes") == [[1]]


def test_table_procedures_of_any_user_cannot_remove_recent_snapshots_or_files(locked: LockedTrino) -> None:
    """Trino 476's file-based control lets any user who sees a table run its table procedures
    (checkCanExecuteTableProcedure allows all); the locked lake catalog's 7-day floors bound them."""
    tables = [r[0] for r in locked.run("analyst", "SHOW TABLES FROM lake.game") if r[0] != ALL_EVENTS_VIEW]
    assert tables, "the local lake has no tables to run procedures on"
    for procedure in ("expire_snapshots", "remove_orphan_files"):
        sql = f"ALTER TABLE lake.game.{tables[0]} EXECUTE {procedure}(retention_threshold => '1s')"
        with pytest.raises(trino.exceptions.TrinoUserError, match="minimum retention"):
            locked.run("analyst", sql)


def test_the_models_cronjob_builds_the_marts_as_the_pipeline_user(locked: LockedTrino, tmp_path: Path) -> None:
    """The chart's models CronJob, its command and environment as rendered: `dbt build` logs in as a
    writer over HTTPS (trusting only the release's CA) and builds and tests every model in lake.marts,
    which the read-only user can then read. Only the addresses and paths are mapped onto this machine."""
    cronjob = by_kind(rendered("default")[1], "CronJob")[f"{RELEASE}-models"]
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    # this machine's CA bundle variables stay: the wrapper must make dbt trust the release's CA only
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUESTLOG_", "DBT_"))}
    env |= {e["name"]: e["value"] for e in container["env"]}  # no secret in env: the password is a file
    user = env["QUESTLOG_MODELS_TRINO_USER"]
    assert env["QUESTLOG_MODELS_TARGET"] == "cluster" and user == "pipeline"
    assert env["QUESTLOG_MODELS_TRINO_PASSWORD_FILE"] == "/etc/questlog/trino-credentials/password"
    assert env["QUESTLOG_MODELS_TRINO_CA_FILE"] == "/etc/questlog/trino-tls/ca.crt"
    password = tmp_path / "password"
    password.write_text(locked.passwords[user])
    env |= {
        "QUESTLOG_MODELS_TRINO_HOST": "127.0.0.1",
        "QUESTLOG_MODELS_TRINO_PORT": str(locked.https),
        "QUESTLOG_MODELS_TRINO_PASSWORD_FILE": str(password),
        "QUESTLOG_MODELS_TRINO_CA_FILE": str(locked.ca),
        # no player has this prefix: the models and their tests run in full over an empty scope, so the
        # local stack's marts of other players are rebuilt as they are, not extended
        "QUESTLOG_MODELS_USER_PREFIX": f"locked-{uuid.uuid4().hex[:8]}-",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "HOME": str(tmp_path),
        # the image's python3 is this environment's (models-dbt runs `python3 -m dbt.cli.main`)
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
    }
    # the image's entrypoint wrapper as the CronJob runs it, on the project as the image holds it
    wrapper = {
        "models-dbt": str(ROOT / "images" / "models" / "models-dbt"),
        "/opt/questlog/models": str(ROOT / "models"),
    }
    command = [wrapper.get(c, c) for c in container["command"]]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"].split(".")[0] + ":" + r["status"] for r in results}
    assert statuses == {"model:success", "test:pass"}, statuses
    built = sorted(r["unique_id"].rsplit(".", 1)[1] for r in results if r["unique_id"].startswith("model."))
    assert {"sessions", "player_daily", "kpi_daily", "retention", "revenue_daily"} <= set(built)
    # readable by the analysts; empty, as the scope holds no player
    assert locked.run("analyst", "SELECT count(*) FROM lake.marts.kpi_daily") == [[0]]
    # the writers own lake.marts, not lake.game nor any other schema
    # (Trino checks emptiness before access on DROP SCHEMA; changing the owner is harmless if it went through)
    assert "Access Denied" in locked.denied("pipeline", "ALTER SCHEMA lake.game SET AUTHORIZATION USER pipeline")
    assert "Access Denied" in locked.denied("analyst", "DROP TABLE lake.marts.kpi_daily")
