"""Container smoke test: run the chart's pods as Docker containers and pass the chart's own helm tests.

The chart is rendered with `helm template`; every workload, the hook Jobs (topics, HDFS directories),
the SparkApplication's driver and the helm test pods become `docker run`s with the pod spec's image,
command, env, volumes (ConfigMaps and Secrets as files, emptyDirs and claims as tmpfs), user, read-only
root, dropped capabilities and memory limit. All containers share one network namespace that has only a loopback
interface, and a hosts file maps every Service name to 127.0.0.1: traffic never leaves loopback, and
the ports do not clash with the local stack's. Readiness is the chart's own readiness probes.
After the helm tests and the load Job, the local stack's own end-to-end test (tests/e2e/test_pipeline.py)
runs against the containers, from the host, inside their network namespace (nsenter); then one run
of the models CronJob (dbt build) builds the marts from what it landed.

Usage: .venv/bin/python tests/containers/smoke.py [--keep] [--timeout SECONDS]
Needs Docker with the images of images/build.sh, and .cache/bin/helm (make k8s-tools).
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import yaml
from questlog_core.paths import repo_root

ROOT = repo_root()
HELM = ROOT / ".cache" / "bin" / "helm"
# Debian's client matches its dockerd (stack/bin/common.sh makes the same choice)
DOCKER = os.environ.get("DOCKER") or (os.path.exists("/usr/bin/docker") and "/usr/bin/docker") or "docker"
RELEASE, NAMESPACE, PREFIX = "ql", "questlog", "ql-smoke"
WORK = Path("/tmp") / PREFIX
NET = f"{PREFIX}-net"
LOGS = ROOT / "var" / "log" / PREFIX  # each container's output, kept after the run
# Start order: a component's dependencies first (as their readiness would gate them in a cluster).
ORDER = ["ql-kafka", "ql-hdfs-namenode", "ql-hdfs-datanode", "ql-metastore", "ql-trino", "ql-api"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([DOCKER, *args], capture_output=True, text=True)
    if check and done.returncode:
        raise RuntimeError(f"docker {' '.join(args[:3])}...: {done.stderr.strip()}")
    return done


def render() -> list[dict[str, Any]]:
    # the load Job too, small: it runs after the helm tests
    load = [
        "loadgen.enabled=true",
        "loadgen.total=400",
        "loadgen.concurrency=4",
        "loadgen.users=20",
        "loadgen.runSize=40",
    ]
    done = subprocess.run(
        [
            str(HELM),
            "template",
            RELEASE,
            str(ROOT / "charts/questlog"),
            "--namespace",
            NAMESPACE,
            *[a for setting in load for a in ("--set", setting)],
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return [d for d in yaml.safe_load_all(done.stdout) if d]


class Pods:
    """Run pod specs of one rendered release as containers."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.objects = objects
        self.maps = {o["metadata"]["name"]: o for o in objects if o["kind"] in ("ConfigMap", "Secret")}
        self.started: list[str] = []

    def files(self, name: str, volume: dict[str, Any], uid: int) -> Path:
        """Write a ConfigMap or Secret volume to a directory owned by the pod's user."""
        source = volume.get("configMap") or volume.get("secret")
        obj = self.maps[source.get("name") or source.get("secretName")]
        data = obj.get("data", {})
        if obj["kind"] == "Secret":
            data = {k: base64.b64decode(v).decode() for k, v in data.items()}
        items = {i["key"]: i["path"] for i in source.get("items", [])} or {k: k for k in data}
        target = WORK / "volumes" / name / volume["name"]
        for key, path in items.items():
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            (target / path).write_text(data[key])
        for path in [target, *target.rglob("*")]:
            shutil.chown(path, uid, uid)
        return target

    def run(
        self,
        name: str,
        pod_name: str,
        spec: dict[str, Any],
        container: dict[str, Any],
        detach: bool = True,
        claims: tuple[str, ...] = (),
    ) -> subprocess.CompletedProcess[str]:
        """docker run one container of a pod spec; returns the finished process when not detached."""
        pod_sc, sc = spec.get("securityContext", {}), container.get("securityContext", {})
        uid, gid = pod_sc.get("runAsUser", 10001), pod_sc.get("runAsGroup", 10001)
        args = [
            "run",
            "--name",
            name,
            "--network",
            f"container:{NET}",
            "--user",
            f"{uid}:{gid}",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            "--volume",
            f"{WORK / 'hosts'}:/etc/hosts:ro",
        ]
        if "fsGroup" in pod_sc:
            args += ["--group-add", str(pod_sc["fsGroup"])]
        if sc.get("readOnlyRootFilesystem"):
            args.append("--read-only")
        memory = container.get("resources", {}).get("limits", {}).get("memory")
        if memory:
            args += ["--memory", memory.replace("Gi", "g").replace("Mi", "m")]
        env = {}
        for ref in container.get("envFrom", []):
            env.update(self.maps[ref["configMapRef"]["name"]]["data"])
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = item["value"]
            elif "secretKeyRef" in item["valueFrom"]:
                ref = item["valueFrom"]["secretKeyRef"]
                env[item["name"]] = base64.b64decode(self.maps[ref["name"]]["data"][ref["key"]]).decode()
            elif item["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name":
                env[item["name"]] = pod_name
            else:  # status.podIP: the shared namespace's only address
                env[item["name"]] = "127.0.0.1"
        for key, value in env.items():
            args += ["--env", f"{key}={value}"]
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for mount in container.get("volumeMounts", []):
            volume = volumes.get(mount["name"], {"emptyDir": {}})
            if mount["name"] in claims or "emptyDir" in volume:
                # like an emptyDir: owned by the pod's user (fsGroup), executable (native libraries in /tmp)
                args += ["--tmpfs", f"{mount['mountPath']}:uid={uid},gid={gid},exec,mode=1777"]
            else:
                args += ["--volume", f"{self.files(name, volume, uid)}:{mount['mountPath']}:ro"]
        command = container.get("command", [])
        if command:
            args += ["--entrypoint", command[0]]
        args += ["--detach"] if detach else []
        args += [container["image"], *command[1:], *container.get("args", [])]
        self.started.append(name)
        return docker(*args, check=detach)

    def probe(self, name: str, probe: dict[str, Any]) -> bool:
        """Run a Kubernetes probe against a running container; True when it passes."""
        if "exec" in probe:
            return docker("exec", name, *probe["exec"]["command"], check=False).returncode == 0
        port = probe.get("tcpSocket", probe.get("httpGet", {})).get("port")
        ports = {p["name"]: p["containerPort"] for p in self.container_ports.get(name, [])}
        port = ports.get(port, port)
        if "httpGet" in probe:
            code = (
                f"import urllib.request as u; u.urlopen('http://127.0.0.1:{port}{probe['httpGet']['path']}', timeout=5)"
            )
            return docker("exec", NET, "python3", "-c", code, check=False).returncode == 0
        return docker("exec", NET, "bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port}", check=False).returncode == 0

    container_ports: ClassVar[dict[str, list[dict[str, Any]]]] = {}

    def wait_ready(self, name: str, probe: dict[str, Any], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip()
            if state != "true":
                raise RuntimeError(f"{name} exited:\n{docker('logs', '--tail', '40', name, check=False).stderr}")
            if self.probe(name, probe):
                log(f"{name} ready")
                return
            time.sleep(3)
        raise RuntimeError(f"{name} not ready after {timeout:.0f} s:\n{docker('logs', '--tail', '40', name).stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    parser.add_argument("--timeout", type=float, default=300, help="readiness timeout per component")
    parser.add_argument("--tests-only", action="store_true", help="only run the helm tests (after --keep)")
    options = parser.parse_args()
    if options.tests_only:  # the running release's manifests (its generated API key included)
        objects = [d for d in yaml.safe_load_all((WORK / "release.yaml").read_text()) if d]
        return run_tests(Pods(objects), objects, options.keep)
    cleanup()
    WORK.mkdir(parents=True)
    objects = render()
    (WORK / "release.yaml").write_text(yaml.safe_dump_all(objects))
    pods = Pods(objects)
    names = [o["metadata"]["name"] for o in objects if o["kind"] == "Service"]
    names += [
        f"{o['metadata']['name']}-{i}.{o['spec']['serviceName']}.{NAMESPACE}.svc.cluster.local"
        for o in objects
        if o["kind"] == "StatefulSet"
        for i in range(o["spec"]["replicas"])
    ]
    # the pod's own host name resolves too, as kubelet's hosts file does
    (WORK / "hosts").write_text("127.0.0.1 localhost " + " ".join([PREFIX, *names]) + "\n")
    base = next(o for o in objects if o["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    # The namespace holder: only a loopback interface (--network none).
    docker(
        "run",
        "--detach",
        "--name",
        NET,
        "--hostname",
        PREFIX,
        "--network",
        "none",
        "--volume",
        f"{WORK / 'hosts'}:/etc/hosts:ro",
        "--entrypoint",
        "sleep",
        base["image"],
        "infinity",
    )
    pods.started.append(NET)
    ok = False
    try:
        workloads = {o["metadata"]["name"]: o for o in objects if o["kind"] in ("StatefulSet", "Deployment")}
        for name in ORDER:
            obj = workloads[name]
            spec = obj["spec"]["template"]["spec"]
            container = spec["containers"][0]
            claims = tuple(c["metadata"]["name"] for c in obj["spec"].get("volumeClaimTemplates", []))
            cname = f"{PREFIX}-{name.removeprefix('ql-')}"
            pod_name = f"{name}-0" if obj["kind"] == "StatefulSet" else f"{name}-smoke"
            Pods.container_ports[cname] = container.get("ports", [])
            pods.run(cname, pod_name, spec, container, claims=claims)
            log(f"started {cname} ({container['image']})")
            pods.wait_ready(cname, container["readinessProbe"], options.timeout)
            # The release's hook Jobs, once what they set up is ready: Kafka's topics, users and ACLs;
            # HDFS's directories, owners and modes (with HDFS permissions on).
            hook = {"ql-kafka": "ql-kafka-topics", "ql-hdfs-datanode": "ql-hdfs-permissions"}.get(name)
            job = next((o for o in objects if o["kind"] == "Job" and o["metadata"]["name"] == hook), None)
            if job:
                spec = job["spec"]["template"]["spec"]
                cname = f"{PREFIX}-{hook.removeprefix('ql-')}"
                done = pods.run(cname, hook, spec, spec["containers"][0], detach=False)
                log(f"{hook} job: exit {done.returncode}: {done.stdout.strip().splitlines()[-1:]}")
                if done.returncode:
                    raise RuntimeError(done.stdout + done.stderr)
        app = next(o for o in objects if o["kind"] == "SparkApplication")
        driver = app["spec"]["driver"]
        template = driver["template"]["spec"]["containers"][0]
        container = {
            "image": app["spec"]["image"],
            # No Kubernetes API to ask for executor pods: Spark in local mode inside the driver container.
            "env": [e for e in driver["env"] if e["name"] != "QUESTLOG_STREAM_MASTER"]
            + [{"name": "QUESTLOG_STREAM_MASTER", "value": "local[2]"}],
            "securityContext": driver["securityContext"],
            "volumeMounts": driver["volumeMounts"],
            "resources": {"limits": {"memory": "2304m"}},
        }
        spec = {"securityContext": driver["podSecurityContext"], "volumes": app["spec"]["volumes"]}
        pods.run(f"{PREFIX}-stream", "ql-stream-driver", spec, container)
        log("started the stream driver (python3 -m questlog_stream.main, Spark local mode as in the pod)")
        pods.wait_ready(f"{PREFIX}-stream", template["readinessProbe"], options.timeout)
        ok = run_tests(pods, objects, keep=True) == 0
        ok = run_e2e(objects) == 0 and ok
        ok = run_models(pods, objects) == 0 and ok
        ok = check_lake_owners(objects) == 0 and ok
    finally:
        if not options.keep:
            cleanup(pods.started)
    return 0 if ok else 1


def run_tests(pods: Pods, objects: list[dict[str, Any]], keep: bool) -> int:
    """Run the chart's helm test pods in weight order, then the load Job; return 0 when all pass."""
    tests = sorted(
        (o for o in objects if o["kind"] == "Pod"),
        key=lambda o: int(o["metadata"]["annotations"]["helm.sh/hook-weight"]),
    )
    runs = [(f"helm test {t['metadata']['name']}", t, t["spec"]) for t in tests]
    runs += [
        ("load Job (ab-load.sh)", job, job["spec"]["template"]["spec"])
        for job in objects
        if job["kind"] == "Job" and job["metadata"]["name"].startswith("ql-loadgen")
    ]
    failed = []
    for label, obj, spec in runs:
        name = f"{PREFIX}-{obj['metadata']['name'].removeprefix('ql-')}"
        docker("rm", "--force", name, check=False)
        done = pods.run(name, obj["metadata"]["name"], spec, spec["containers"][0], detach=False)
        last = (done.stdout or done.stderr).strip().splitlines()[-1:]
        log(f"{label}: {'PASSED' if done.returncode == 0 else 'FAILED'} {last}")
        if done.returncode:
            failed.append(obj["metadata"]["name"])
            print(done.stdout + done.stderr, file=sys.stderr)
        if not keep:
            docker("rm", "--force", name, check=False)
    print(f"{len(runs) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def run_e2e(objects: list[dict[str, Any]]) -> int:
    """Run the local stack's end-to-end pipeline test against the containers, from inside their network namespace."""
    keys = next(o for o in objects if o["kind"] == "Secret" and "keys" in o.get("data", {}))
    pid = docker("inspect", "-f", "{{.State.Pid}}", NET).stdout.strip()
    env = {
        **os.environ,
        "QUESTLOG_E2E_EXTERNAL": "1",
        "QUESTLOG_E2E_API_KEY": base64.b64decode(keys["data"]["keys"]).decode().split()[0],
    }
    kafka = next((o for o in objects if o["kind"] == "Secret" and "api-password" in o.get("data", {})), None)
    if kafka:  # the chart locks Kafka: the health probe authenticates as the API's user
        env |= {
            "QUESTLOG_E2E_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "QUESTLOG_E2E_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "QUESTLOG_E2E_KAFKA_SASL_USERNAME": "api",
            "QUESTLOG_E2E_KAFKA_SASL_PASSWORD": base64.b64decode(kafka["data"]["api-password"]).decode(),
        }
    reader = trino_reader(objects)
    if reader:  # the chart locks Trino: HTTPS, a read-only user
        user, password, ca_pem = reader
        ca = WORK / "trino-ca.crt"
        ca.write_text(ca_pem)
        env |= {
            "QUESTLOG_E2E_TRINO_USER": user,
            "QUESTLOG_E2E_TRINO_PASSWORD": password,
            "QUESTLOG_E2E_TRINO_PORT": str(trino_https_port(objects)),
            "QUESTLOG_E2E_TRINO_CA_FILE": str(ca),
        }
    log("end-to-end test of the local stack (tests/e2e/test_pipeline.py) against the containers")
    # The containers' network namespace, and their hosts file over /etc/hosts in a private mount namespace:
    # clients resolve the names the servers advertise (Kafka's broker address) as the pods do.
    done = subprocess.run(
        [
            "nsenter",
            f"--net=/proc/{pid}/ns/net",
            "--",
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"',
            str(WORK / "hosts"),
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            str(ROOT / "tests/e2e/test_pipeline.py"),
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    log(f"end-to-end test: {'PASSED' if done.returncode == 0 else 'FAILED'}")
    return done.returncode


def run_models(pods: Pods, objects: list[dict[str, Any]]) -> int:
    """One run of the models CronJob's pod (dbt build as the chart's writer, over HTTPS when Trino is
    locked) over what the end-to-end test landed; then the marts hold its players, read as an analyst."""
    cronjob = next(
        (o for o in objects if o["kind"] == "CronJob" and o["metadata"]["name"] == f"{RELEASE}-models"), None
    )
    if cronjob is None:
        return 0
    spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    name = f"{PREFIX}-models"
    docker("rm", "--force", name, check=False)
    done = pods.run(name, f"{RELEASE}-models-smoke", spec, spec["containers"][0], detach=False)
    summary = [line for line in done.stdout.splitlines() if "Done. PASS=" in line][-1:]
    log(f"models CronJob (dbt build): {'PASSED' if done.returncode == 0 else 'FAILED'} {summary}")
    if done.returncode:
        print(done.stdout[-6000:] + done.stderr[-2000:], file=sys.stderr)
        return 1
    script = ["import requests, trino", "s = requests.Session()", "s.trust_env = False"]
    reader = trino_reader(objects)
    if reader:  # locked: HTTPS, the helm tests' read-only user
        user, password, ca = reader
        script += [
            f"open('/tmp/ca.crt', 'w').write({ca!r})",
            "s.verify = '/tmp/ca.crt'",
            f"auth = trino.auth.BasicAuthentication({user!r}, {password!r})",
            f"conn = trino.dbapi.connect(host='127.0.0.1', port={trino_https_port(objects)}, user={user!r},"
            " auth=auth, http_scheme='https', http_session=s)",
        ]
    else:
        script += ["conn = trino.dbapi.connect(host='127.0.0.1', port=8080, user='smoke', http_session=s)"]
    script += [
        "cur = conn.cursor()",
        "cur.execute('SELECT (SELECT count(*) FROM lake.marts.sessions), (SELECT sum(dau) FROM lake.marts.kpi_daily)')",
        "print(*cur.fetchall()[0])",
    ]
    done = docker("exec", NET, "python3", "-c", "\n".join(script), check=False)
    counts = done.stdout.split()
    ok = done.returncode == 0 and len(counts) == 2 and all(c.isdigit() and int(c) > 0 for c in counts)
    log(f"marts after the models run: {'PASSED' if ok else 'FAILED'} sessions, dau: {counts or done.stderr[-300:]}")
    return 0 if ok else 1


def trino_reader(objects: list[dict[str, Any]]) -> tuple[str, str, str] | None:
    """(user, password, CA certificate PEM) of the helm tests' read-only Trino user when the chart
    locks Trino; None when Trino is open."""
    secrets = {o["metadata"]["name"]: o["data"] for o in objects if o["kind"] == "Secret"}
    if f"{RELEASE}-trino-credentials" not in secrets:
        return None
    test = next(o for o in objects if o["kind"] == "Pod" and o["metadata"]["name"].endswith("-trino"))
    user = next(e["value"] for e in test["spec"]["containers"][0]["env"] if e["name"] == "TEST_TRINO_USER")
    password = base64.b64decode(secrets[f"{RELEASE}-trino-credentials"][f"{user}-password"]).decode()
    ca = base64.b64decode(secrets[f"{RELEASE}-trino-tls"]["ca.crt"]).decode()
    return user, password, ca


def trino_https_port(objects: list[dict[str, Any]]) -> int:
    """The HTTPS port of the Service <release>-trino."""
    return next(
        p["port"]
        for o in objects
        if o["kind"] == "Service" and o["metadata"]["name"] == f"{RELEASE}-trino"
        for p in o["spec"]["ports"]
        if p["name"] == "https"
    )


def check_lake_owners(objects: list[dict[str, Any]]) -> int:
    """With HDFS permissions on: the lake's files belong to the stream's HDFS user and the lake group,
    and nobody else may read them (the pipeline above ran as the chart's users, not as a super user)."""
    if not any(o["kind"] == "Job" and o["metadata"]["name"] == f"{RELEASE}-hdfs-permissions" for o in objects):
        return 0
    code = "\n".join(
        [
            "import json, urllib.request as u",
            "base = 'http://127.0.0.1:9870/webhdfs/v1'",
            "def ls(p):",
            "    url = f'{base}{p}?op=LISTSTATUS&user.name=hdfs'",
            "    return json.load(u.urlopen(url, timeout=10))['FileStatuses']['FileStatus']",
            "def walk(p, depth=0):",
            "    for f in ls(p):",
            "        path = f'{p}/{f[\"pathSuffix\"]}'",
            "        if f['type'] == 'DIRECTORY' and depth < 4: yield from walk(path, depth + 1)",
            "        elif f['type'] == 'FILE': yield f",
            "print(sorted({(f['owner'], f['group'], f['permission']) for f in walk('/warehouse/game.db')}))",
        ]
    )
    done = docker("exec", NET, "python3", "-c", code, check=False)
    owners = done.stdout.strip()
    ok = done.returncode == 0 and owners == "[('questlog-stream', 'questlog-lake', '660')]"
    log(f"lake file owners: {'PASSED' if ok else 'FAILED'} {owners or done.stderr.strip()[-300:]}")
    return 0 if ok else 1


def cleanup(names: list[str] | None = None) -> None:
    """Keep each container's log in LOGS, then remove the containers (only those this script names)."""
    listed = docker("ps", "--all", "--format", "{{.Names}}", check=False).stdout.split()
    LOGS.mkdir(parents=True, exist_ok=True)
    for name in names if names is not None else [n for n in listed if n.startswith(f"{PREFIX}-")]:
        if name in listed:
            logs = docker("logs", name, check=False)
            (LOGS / f"{name}.log").write_text(logs.stdout + logs.stderr)
            docker("rm", "--force", name, check=False)
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
