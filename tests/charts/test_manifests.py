"""Properties of the rendered manifests: pinned images, hardened containers with resources and probes,
PodDisruptionBudgets, NetworkPolicies, config checksums, Secrets, node ports, one object per template."""

from __future__ import annotations

import base64
import re
from collections import Counter

import yaml

from tests.charts.conftest import CHART, NAMESPACE, RELEASE, ROOT, by_kind, helm, load_yaml, pod_specs, rendered

APP_VERSION = str(load_yaml(CHART / "Chart.yaml")["appVersion"])
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")


def containers(spec):
    return [*spec.get("initContainers", []), *spec["containers"]]


def spark_roles(objects):
    """(name, driver or executor spec) of every SparkApplication."""
    return [
        (f"{o['metadata']['name']}.{role}", o["spec"][role])
        for o in objects
        if o["kind"] == "SparkApplication"
        for role in ("driver", "executor")
    ]


def test_images_are_pinned_to_the_app_version(objects, variant):
    images = [c["image"] for _, spec in pod_specs(objects) for c in containers(spec)]
    images += [o["spec"]["image"] for o in objects if o["kind"] == "SparkApplication"]
    assert images
    for image in images:
        assert not image.endswith(":latest") and ":" in image.rsplit("/", 1)[-1], image
        assert image.endswith(f":{APP_VERSION}"), image
        assert re.match(r"^([a-z0-9.-]+(:\d+)?/)*questlog/[a-z-]+:", image), image


def test_every_container_has_requests_and_limits(objects):
    for name, spec in pod_specs(objects):
        for c in containers(spec):
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c.get("resources", {}).get(part, {})), f"{name}/{c['name']} {part}"
            limits, requests = c["resources"]["limits"], c["resources"]["requests"]
            # a memory request below the limit invites OOM kills under node pressure for JVMs
            assert requests["memory"] == limits["memory"] or c["name"] in ("api", "check", "ab"), name
    for name, role in spark_roles(objects):
        assert role["cores"] >= 1 and role["coreLimit"] and role["memory"] and role["memoryOverhead"], name


def test_long_running_containers_have_probes(objects):
    for obj in objects:
        if obj["kind"] in LONG_RUNNING:
            for c in containers(obj["spec"]["template"]["spec"]):
                assert c.get("livenessProbe") and c.get("readinessProbe"), f"{obj['metadata']['name']}/{c['name']}"
    for name, role in spark_roles(objects):
        container = role["template"]["spec"]["containers"][0]
        assert container.get("livenessProbe") and container.get("readinessProbe"), name


def hardened(pod_security: dict, container_security: dict) -> list[str]:
    """Return what is missing from a pod's and container's security contexts."""
    missing = []
    if not (container_security.get("runAsNonRoot") or pod_security.get("runAsNonRoot")):
        missing.append("runAsNonRoot")
    uid = container_security.get("runAsUser", pod_security.get("runAsUser"))
    if uid is None or uid < 10000:
        missing.append("runAsUser >= 10000")
    if container_security.get("allowPrivilegeEscalation") is not False:
        missing.append("allowPrivilegeEscalation: false")
    if container_security.get("capabilities", {}).get("drop") != ["ALL"]:
        missing.append("capabilities.drop [ALL]")
    if container_security.get("capabilities", {}).get("add"):
        missing.append("no added capabilities")
    if container_security.get("readOnlyRootFilesystem") is not True:
        missing.append("readOnlyRootFilesystem")
    if container_security.get("privileged"):
        missing.append("not privileged")
    seccomp = container_security.get("seccompProfile") or pod_security.get("seccompProfile") or {}
    if seccomp.get("type") != "RuntimeDefault":
        missing.append("seccompProfile RuntimeDefault")
    return missing


def test_every_container_is_hardened(objects):
    problems = {}
    for name, spec in pod_specs(objects):
        assert not (spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC")), name
        for c in containers(spec):
            missing = hardened(spec.get("securityContext", {}), c.get("securityContext", {}))
            if missing:
                problems[f"{name}/{c['name']}"] = missing
    for name, role in spark_roles(objects):
        missing = hardened(role["podSecurityContext"], role["securityContext"])
        if missing:
            problems[name] = missing
    assert not problems


def test_writable_paths_are_volumes(objects):
    # A read-only root file system needs an emptyDir or volume on /tmp (JVM, gunicorn, Python).
    for name, spec in pod_specs(objects):
        for c in containers(spec):
            assert "/tmp" in {m["mountPath"] for m in c.get("volumeMounts", [])}, f"{name}/{c['name']}"
        for volume in spec.get("volumes", []):
            if "emptyDir" in volume and name.startswith(("Deployment", "Pod", "Job")):
                assert volume["emptyDir"].get("sizeLimit"), f"{name} volume {volume['name']} has no sizeLimit"


def test_service_accounts_mount_no_token_unless_needed(objects):
    for name, spec in pod_specs(objects):
        assert spec.get("automountServiceAccountToken") is False, name
    accounts = by_kind(objects, "ServiceAccount")
    needs_token = {n for n, a in accounts.items() if a.get("automountServiceAccountToken") is not False}
    assert needs_token == {"ql-stream"}  # the Spark driver creates its executor pods
    rules = [r for role in by_kind(objects, "Role").values() for r in role["rules"]]
    assert all("*" not in r["verbs"] and "*" not in r["resources"] and "secrets" not in r["resources"] for r in rules)
    assert not [o for o in objects if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]


def matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_every_workload_has_a_disruption_budget(objects):
    budgets = [p["spec"]["selector"]["matchLabels"] for p in by_kind(objects, "PodDisruptionBudget").values()]
    for obj in objects:
        if obj["kind"] in LONG_RUNNING:
            labels = obj["spec"]["template"]["metadata"]["labels"]
            assert any(matches(b, labels) for b in budgets), obj["metadata"]["name"]
    for app in by_kind(objects, "SparkApplication").values():
        assert any(matches(b, app["spec"]["driver"]["labels"]) for b in budgets)


def test_network_policies_admit_outsiders_to_the_api_only(objects, variant):
    policies = by_kind(objects, "NetworkPolicy")
    pods = [
        (name, spec_labels)
        for name, spec_labels in (
            *[
                (n, o["spec"]["template"]["metadata"]["labels"])
                for o in objects
                if o["kind"] in (*LONG_RUNNING, "Job")
                for n in [o["metadata"]["name"]]
            ],
            *[(o["metadata"]["name"], o["metadata"]["labels"]) for o in objects if o["kind"] == "Pod"],
            *[(n, role["labels"]) for n, role in spark_roles(objects)],
        )
    ]
    open_to_all = set()
    for name, labels in pods:
        covering = [p for p in policies.values() if matches(p["spec"]["podSelector"].get("matchLabels", {}), labels)]
        assert covering, f"no NetworkPolicy selects {name}"
        for policy in covering:
            assert policy["spec"]["policyTypes"] == ["Ingress"]
            for rule in policy["spec"].get("ingress", []):
                if "from" not in rule:
                    open_to_all.add(labels["app.kubernetes.io/component"])
                else:
                    for peer in rule["from"]:
                        assert (
                            peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/instance") == "ql"
                        ), peer
    expected = {"api", "trino"} if variant == "kind" else {"api"}
    assert open_to_all == expected


def test_config_changes_roll_the_pods():
    _, base = rendered("default")
    changed_names = {
        "kafka": "kafka.config.log\\.retention\\.hours=24",
        "trino": "trino.config.task\\.concurrency=4",
        "metastore": "hive-metastore.config.metastore\\.stats\\.autogather=true",
        "hdfs-namenode": "hdfs.config.dfs\\.blocksize=64m",
        "api": "api.env.QUESTLOG_API_MAX_EVENTS=10",
    }

    def checksums(docs):
        return {
            o["metadata"]["name"]: o["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
            for o in docs
            if o["kind"] in LONG_RUNNING
        }

    before = checksums(base)
    assert set(before) >= {f"ql-{c}" for c in changed_names}
    for component, setting in changed_names.items():
        done = helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--set", setting)
        assert done.returncode == 0, done.stderr
        after = checksums([d for d in yaml.safe_load_all(done.stdout) if d])
        assert after[f"ql-{component}"] != before[f"ql-{component}"], setting
        assert after["ql-kafka"] == before["ql-kafka"] or component == "kafka"


def test_api_key_is_generated_never_a_default(objects, variant):
    values_text = "".join(p.read_text() for p in CHART.rglob("values*.yaml"))
    # (the Kafka and Trino Secrets are tested in test_access.py, the privacy Secret in test_erasure.py)
    access = {"ql-kafka-credentials", "ql-trino-credentials", "ql-trino-tls", "ql-privacy"}
    secrets = {k: v for k, v in by_kind(objects, "Secret").items() if k not in access}
    api = by_kind(objects, "Deployment")["ql-api"]["spec"]["template"]["spec"]
    key_volume = next(v for v in api["volumes"] if v["name"] == "api-keys")
    if variant == "optional-on":
        assert not secrets and key_volume["secret"]["secretName"] == "my-keys"
        return
    assert list(secrets) == ["ql-api-keys"] and key_volume["secret"]["secretName"] == "ql-api-keys"
    key = base64.b64decode(secrets["ql-api-keys"]["data"]["keys"]).decode()
    assert len(key) == 40 and key not in values_text
    assert (
        key
        != base64.b64decode(
            by_kind(rendered("kind" if variant != "kind" else "gke")[1], "Secret")["ql-api-keys"]["data"]["keys"]
        ).decode()
    )
    env = {e["name"] for c in api["containers"] for e in c.get("env", [])}
    assert not any("KEY" in name for name in env)  # keys come from a mounted file, not the environment


def test_kind_node_ports_match_the_kind_cluster():
    kind = load_yaml(ROOT / "k8s" / "kind-config.yaml")
    mappings = {m["containerPort"]: m for node in kind["nodes"] for m in node.get("extraPortMappings", [])}
    services = by_kind(rendered("kind")[1], "Service")
    node_ports = {
        (name, port["name"]): port["nodePort"]
        for name, svc in services.items()
        if svc["spec"].get("type") == "NodePort"
        for port in svc["spec"]["ports"]
    }
    assert set(node_ports) == {("ql-api", "http"), ("ql-trino", "http"), ("ql-trino", "https")}
    assert set(node_ports.values()) == set(mappings)
    for mapping in mappings.values():
        assert mapping["listenAddress"] == "127.0.0.1" and mapping["hostPort"] == mapping["containerPort"]
    assert kind["networking"]["apiServerAddress"] == "127.0.0.1"


def test_one_object_per_template_file(variant):
    text, _ = rendered(variant)
    sources = Counter(re.findall(r"^# Source: (\S+)$", text, flags=re.M))
    assert sources and all(n == 1 for n in sources.values()), [s for s, n in sources.items() if n > 1]


def test_every_object_is_namespaced_and_labelled(objects):
    for obj in objects:
        meta = obj["metadata"]
        assert meta["namespace"] == "questlog", meta["name"]
        labels = meta["labels"]
        for key in (
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/version",
            "app.kubernetes.io/managed-by",
            "app.kubernetes.io/part-of",
            "helm.sh/chart",
        ):
            assert key in labels, f"{obj['kind']}/{meta['name']} lacks {key}"
