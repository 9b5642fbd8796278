"""The chart's HDFS permissions, for real: a private NameNode and DataNode run the core-site.xml and
hdfs-site.xml that `helm template` renders with global.hdfsPermissions on (the default), started by
the image's own entrypoint (images/hdfs/entrypoint.sh) as HDFS user `hdfs`; its `init-dirs` role
sets up the directories of the chart's hook Job; then real HDFS clients acting as the chart's users
(HADOOP_USER_NAME, umask 007 as the components are configured) may do exactly what the chart promises.

Only the addresses and the local directories are changed from the rendered files; the permission
settings and the group mapping are used as rendered. Loopback only, two JVMs of 256 MiB.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.charts.conftest import RELEASE, by_kind, pod_spec, rendered
from tests.conftest import ROOT
from tests.integration.processes import free_port, stop

HADOOP_HOME = ROOT / ".cache" / "hadoop"
ENTRYPOINT = ROOT / "images" / "hdfs" / "entrypoint.sh"
JAVA_HOME = Path("/usr/lib/jvm/java-17-openjdk-amd64")
UMASK = "007"  # fs.permissions.umask-mode of the stream, the metastore and Trino in the chart


def _override(xml: str, props: dict[str, str]) -> str:
    """Append properties to a Hadoop XML file (a later definition wins, as the chart's overrides)."""
    extra = "".join(f"<property><name>{k}</name><value>{v}</value></property>\n" for k, v in props.items())
    return xml.replace("</configuration>", extra + "</configuration>")


@dataclass
class Hdfs:
    conf: Path
    env: dict[str, str]
    first_init: str = ""  # the output of the hook Job's first run

    def shell(self, user: str, *args: str) -> subprocess.CompletedProcess[str]:
        """One FsShell command as an HDFS user, with the components' client umask."""
        java = [
            str(JAVA_HOME / "bin" / "java"),
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1",
            "-Dhadoop.root.logger=WARN,console",
            f"-Dlog4j.configuration=file:{self.conf}/log4j.properties",
            "-cp",
            f"{self.conf}:{HADOOP_HOME}/lib/*",
            "org.apache.hadoop.fs.FsShell",
            "-D",
            f"fs.permissions.umask-mode={UMASK}",
        ]
        return subprocess.run(
            [*java, *args], env={**self.env, "HADOOP_USER_NAME": user}, capture_output=True, text=True, timeout=120
        )

    def ok(self, user: str, *args: str) -> str:
        done = self.shell(user, *args)
        assert done.returncode == 0, f"{user}: {' '.join(args)}:\n{done.stderr[-2000:]}"
        return done.stdout

    def denied(self, user: str, *args: str, reason: str = "Permission denied") -> None:
        done = self.shell(user, *args)
        assert done.returncode != 0, f"{user} was allowed: {' '.join(args)}"
        assert reason in done.stderr, f"{user}: {' '.join(args)} failed, not for access:\n{done.stderr}"

    def stat(self, path: str) -> str:
        """owner:group and mode bits of a path, e.g. 'questlog-stream:questlog-lake 770'."""
        return self.ok("hdfs", "-stat", "%u:%g %a", path).strip()


@pytest.fixture(scope="module")
def hdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hdfs]:
    objects = rendered("default")[1]
    configmap = by_kind(objects, "ConfigMap")[f"{RELEASE}-hdfs"]["data"]
    work = tmp_path_factory.mktemp("hdfs-permissions")
    conf = work / "conf"
    conf.mkdir()
    rpc, http, dn, dn_http, dn_ipc = (free_port() for _ in range(5))
    (conf / "core-site.xml").write_text(
        _override(
            configmap["core-site.xml"],
            {"fs.defaultFS": f"hdfs://127.0.0.1:{rpc}", "hadoop.tmp.dir": str(work / "tmp")},
        )
    )
    (conf / "hdfs-site.xml").write_text(
        _override(
            configmap["hdfs-site.xml"],
            {
                "dfs.namenode.name.dir": f"file://{work}/name",
                "dfs.datanode.data.dir": f"file://{work}/data",
                "dfs.namenode.rpc-address": f"127.0.0.1:{rpc}",
                "dfs.namenode.rpc-bind-host": "127.0.0.1",
                "dfs.namenode.http-address": f"127.0.0.1:{http}",
                "dfs.namenode.http-bind-host": "127.0.0.1",
                "dfs.namenode.secondary.http-address": "127.0.0.1:0",
                "dfs.datanode.address": f"127.0.0.1:{dn}",
                "dfs.datanode.http.address": f"127.0.0.1:{dn_http}",
                "dfs.datanode.ipc.address": f"127.0.0.1:{dn_ipc}",
                "dfs.datanode.hostname": "127.0.0.1",
            },
        )
    )
    (conf / "log4j.properties").write_text(configmap["log4j.properties"])
    # The NameNode's environment in the chart (HADOOP_USER_NAME=hdfs), as the entrypoint expects it.
    namenode_env = {
        e["name"]: e["value"]
        for e in pod_spec(objects, f"StatefulSet/{RELEASE}-hdfs-namenode")["containers"][0]["env"]
        if "value" in e
    }
    assert namenode_env["HADOOP_USER_NAME"] == "hdfs"
    env = {
        **os.environ,
        "HADOOP_HOME": str(HADOOP_HOME),
        "HADOOP_CONF_DIR": str(conf),
        "HDFS_NAME_DIR": str(work / "name"),
        "HADOOP_HEAP": "256m",
        "HADOOP_USER_NAME": "hdfs",
        "PATH": f"{JAVA_HOME / 'bin'}:{os.environ['PATH']}",
    }
    procs = []
    try:
        for role in ("namenode", "datanode"):
            log = (work / f"{role}.log").open("w")
            procs.append(subprocess.Popen(["bash", str(ENTRYPOINT), role], env=env, stdout=log, stderr=log))
        deadline = time.monotonic() + 120
        jmx = f"http://127.0.0.1:{http}/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState"
        while True:
            for proc, role in zip(procs, ("namenode", "datanode"), strict=True):
                log_text = (work / f"{role}.log").read_text()[-3000:]
                assert proc.poll() is None, f"the {role} exited:\n{log_text}"
            try:
                if requests.get(jmx, timeout=5).json()["beans"][0]["NumLiveDataNodes"] >= 1:
                    break
            except (requests.RequestException, KeyError, IndexError, ValueError):
                pass
            assert time.monotonic() < deadline, "the private HDFS did not come up in 120 s"
            time.sleep(1)
        ready = Hdfs(conf, env)
        ready.first_init = run_init_dirs(ready)
        yield ready
    finally:
        stop(*procs, timeout_s=30)
        shutil.rmtree(work / "data", ignore_errors=True)


def run_init_dirs(hdfs: Hdfs) -> str:
    """The chart's hook Job: the image's entrypoint, role init-dirs, with the Job's environment."""
    job = pod_spec(rendered("default")[1], f"Job/{RELEASE}-hdfs-permissions")["containers"][0]
    assert job["args"] == ["init-dirs"]
    job_env = {e["name"]: e["value"] for e in job["env"]}
    done = subprocess.run(
        ["bash", str(ENTRYPOINT), "init-dirs"],
        env={**hdfs.env, **job_env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_hook_job_sets_owners_and_modes_and_can_run_again(hdfs: Hdfs) -> None:
    assert "hdfs init-dirs: done" in hdfs.first_init
    roots = {
        "/warehouse": "questlog-stream:questlog-lake 770",
        "/questlog": "hdfs:supergroup 755",
        "/questlog/checkpoints": "questlog-stream:questlog-stream 700",
        "/tmp": "hdfs:supergroup 1777",
    }
    assert {path: hdfs.stat(path) for path in roots} == roots
    hdfs.ok("questlog-stream", "-mkdir", "-p", "/questlog/checkpoints/stream/offsets")
    assert "hdfs init-dirs: done" in run_init_dirs(hdfs)  # after every upgrade: same result
    assert {path: hdfs.stat(path) for path in roots} == roots
    assert hdfs.stat("/questlog/checkpoints/stream/offsets") == "questlog-stream:questlog-stream 770"


def test_the_pipeline_users_share_the_warehouse_and_outsiders_see_nothing(hdfs: Hdfs, tmp_path: Path) -> None:
    local = tmp_path / "part-0.parquet"
    local.write_bytes(b"PAR1 not really parquet PAR1")
    # The metastore creates the schema's directory; the stream writes a table in it (group questlog-lake).
    hdfs.ok("questlog-metastore", "-mkdir", "-p", "/warehouse/game.db")
    hdfs.ok("questlog-stream", "-mkdir", "-p", "/warehouse/game.db/t/data")
    hdfs.ok("questlog-stream", "-put", str(local), "/warehouse/game.db/t/data/part-0.parquet")
    assert hdfs.stat("/warehouse/game.db/t/data/part-0.parquet") == "questlog-stream:questlog-lake 660"
    # Trino reads it, writes a file beside it and deletes the stream's (row-level deletes, rewrites).
    assert "not really parquet" in hdfs.ok("questlog-trino", "-cat", "/warehouse/game.db/t/data/part-0.parquet")
    hdfs.ok("questlog-trino", "-put", str(local), "/warehouse/game.db/t/data/part-1.parquet")
    hdfs.ok("questlog-trino", "-rm", "-skipTrash", "/warehouse/game.db/t/data/part-0.parquet")
    hdfs.ok("questlog-stream", "-rm", "-skipTrash", "/warehouse/game.db/t/data/part-1.parquet")
    # Anyone else: not even a listing.
    for outsider in ("analyst", "root"):
        hdfs.denied(outsider, "-ls", "/warehouse")
        hdfs.denied(outsider, "-cat", "/warehouse/game.db/t/data/part-0.parquet")
        hdfs.denied(outsider, "-mkdir", "/warehouse/evil.db")
    assert re.fullmatch(r"hdfs:supergroup 7\d\d", hdfs.stat("/"))
    hdfs.denied("questlog-trino", "-mkdir", "/elsewhere")


def test_only_the_stream_reaches_its_checkpoint(hdfs: Hdfs) -> None:
    hdfs.ok("questlog-stream", "-mkdir", "-p", "/questlog/checkpoints/stream/commits")
    hdfs.ok("questlog-stream", "-touchz", "/questlog/checkpoints/stream/commits/0")
    for other in ("questlog-trino", "questlog-metastore"):
        hdfs.denied(other, "-ls", "/questlog/checkpoints")
    hdfs.denied("questlog-trino", "-rm", "-r", "-skipTrash", "/questlog/checkpoints/stream")
    chown = ("-chown", "questlog-trino", "/questlog/checkpoints/stream")
    hdfs.denied("questlog-stream", *chown, reason="not a super user")
