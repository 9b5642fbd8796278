"""Supply chain and secrets: every locked package pinned with hashes, known vulnerabilities triaged
(pip-audit), and no private key, token or password in tracked files, chart defaults or Dockerfiles."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ROOT

IGNORE_FILE = Path(__file__).with_name("pip-audit-ignore.txt")
SECURITY_DOC = ROOT / "docs" / "security.md"


def locked_packages() -> list[dict]:
    with (ROOT / "uv.lock").open("rb") as f:
        return [p for p in tomllib.load(f)["package"] if "registry" in p["source"]]


def test_every_locked_package_is_pinned_with_hashes():
    packages = locked_packages()
    assert len(packages) > 50
    for p in packages:
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", p["version"]), p["name"]
        files = ([p["sdist"]] if "sdist" in p else []) + p.get("wheels", [])
        assert files, f"{p['name']} has no artifact in the lock file"
        for artifact in files:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", artifact.get("hash", "")), (p["name"], artifact.get("url"))
            assert artifact["url"].startswith("https://files.pythonhosted.org/"), artifact["url"]


def test_direct_dependencies_are_pinned_exactly():
    with (ROOT / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)
    direct = project["project"]["dependencies"] + project["dependency-groups"]["dev"]
    direct += project["build-system"]["requires"]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\[\],-]+==[0-9][0-9A-Za-z.+!-]*", d) for d in direct), direct


def ignored() -> dict[str, str]:
    """Triaged advisories: `ID  package  reason` per line."""
    entries = {}
    for line in IGNORE_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            vuln_id, package, reason = line.split(maxsplit=2)
            entries[vuln_id] = f"{package}: {reason}"
    return entries


def test_triaged_advisories_have_reasons_and_are_in_the_doc():
    doc = SECURITY_DOC.read_text()
    for vuln_id, reason in ignored().items():
        assert len(reason.split(":", 1)[1].strip()) > 20, f"{vuln_id} needs a real reason"
        assert vuln_id in doc, f"{vuln_id} is triaged in {IGNORE_FILE.name} but not in docs/security.md"


def _pypi_reachable() -> bool:
    try:
        urllib.request.urlopen("https://pypi.org/pypi/pip/json", timeout=10).close()
    except (urllib.error.URLError, OSError):
        return False
    return True


def _latest_release_advisories(name: str, version: str) -> list[str] | None:
    """Advisories of `version` from the project's JSON page, which describes only the latest release."""
    with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as f:
        page = json.load(f)
    if page["info"]["version"] != version:
        return None  # an older release: this page does not say
    return [v["id"] for v in page.get("vulnerabilities", []) if not v.get("withdrawn")]


PIP_AUDIT = [sys.executable, "-m", "pip_audit", "--format", "json", "--vulnerability-service", "pypi"]


@pytest.mark.slow
def test_pip_audit_finds_nothing_untriaged(tmp_path):
    if not _pypi_reachable():
        assert not os.environ.get("CI"), "CI must reach PyPI to audit the dependencies"
        pytest.skip("PyPI is unreachable (inside a network namespace?): run this test where PyPI is reachable")
    packages = locked_packages()
    # The lock may hold two versions of a package (per platform); pip-audit wants one per file.
    layers: list[dict[str, str]] = []
    for p in packages:
        layer = next((layer for layer in layers if p["name"] not in layer), None)
        if layer is None:
            layer = {}
            layers.append(layer)
        layer[p["name"]] = p["version"]
    skip = ignored()
    findings, unaudited = [], []
    for n, layer in enumerate(layers):
        requirements = tmp_path / f"requirements-{n}.txt"
        requirements.write_text("".join(f"{name}=={version}\n" for name, version in layer.items()))
        result = subprocess.run(
            [*PIP_AUDIT, "-r", str(requirements), "--no-deps", "--disable-pip", "--progress-spinner", "off"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.stdout, result.stderr[-2000:]
        for dep in json.loads(result.stdout)["dependencies"]:
            if "skip_reason" in dep:
                unaudited.append((dep["name"], layer[dep["name"]]))
            for vuln in dep.get("vulns", []):
                findings.append((dep["name"], dep["version"], vuln["id"], set(vuln.get("aliases", []))))
    # Some registries serve only the project pages, not PyPI's per-release ones pip-audit asks for; for
    # releases that are the latest, the project page tells the same.
    still_unaudited = []
    with ThreadPoolExecutor(8) as pool:
        pages = pool.map(lambda nv: _latest_release_advisories(*nv), unaudited)
        for (name, version), advisories in zip(unaudited, pages, strict=True):
            if advisories is None:
                still_unaudited.append(f"{name}=={version}")
            findings += [(name, version, vuln_id, set()) for vuln_id in advisories or []]
    untriaged = [f for f in findings if f[2] not in skip and not (f[3] & set(skip))]
    assert not untriaged, (
        f"untriaged advisories (fix, or triage in {IGNORE_FILE.name} and docs/security.md): {untriaged}"
    )
    audited = len(packages) - len(still_unaudited)
    assert audited >= len(packages) // 2, f"only {audited} of {len(packages)} packages could be audited"
    print(
        f"audited {audited} of {len(packages)} packages ({len(packages) - len(unaudited)} by pip-audit, "
        f"{len(unaudited) - len(still_unaudited)} from project pages); not audited: {still_unaudited}"
    )


# A secret is a private key block, a token of a known shape, or a password/secret/token value in
# configuration that is not an obvious placeholder.
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abpors]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "URL with password": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]{3,})@"),
    "assigned secret": re.compile(
        r"""(?ix)(?<![a-z])(password|passwd|secret|api[_-]?keys?|tokens?|access[_-]?keys?)(?![a-z])"""
        r"""["']?[ \t]*[:=][ \t]*["']?([^\s"',}]{6,})"""
    ),
}
PLACEHOLDER = re.compile(
    r"(?i)^(\$\{?[A-Za-z_]|\{\{|<|\*{3}|x{4}|changeme|change-me|example|placeholder|dummy|test|fake|redacted|"
    r"none|null|true|false|os\.environ|env\.|settings\.|self\.|getenv|secretKeyRef|valueFrom|\$\(|%s|\[)"
)
# Values that look assigned but are names or code, not secrets (key = the variable, value = what follows).
NOT_SECRETS = {"existingSecret", "secretName", "generated", "required", "lookup", "randAlphaNum"}
SCANNED_SUFFIXES = {
    ".py",
    ".sh",
    ".yaml",
    ".yml",
    ".json",
    ".toml",
    ".cfg",
    ".ini",
    ".env",
    ".properties",
    ".xml",
    ".md",
    ".txt",
    ".sql",
    ".tpl",
    "",
}


def find_secrets(text: str) -> list[str]:
    """Return what in `text` looks like a secret."""
    hits = []
    for kind, pattern in SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            if kind in ("assigned secret", "URL with password"):
                value = match.group(match.lastindex or 0)
                if PLACEHOLDER.match(value) or value.strip("*") == "" or value in NOT_SECRETS:
                    continue
                if kind == "assigned secret" and (not re.search(r"[0-9]", value) or re.search(r"[(\[]", value)):
                    continue  # words (a variable or field name) or code (a call, an index), not a secret
            hits.append(f"{kind}: {match.group(0)[:60]}")
    return hits


def test_the_secret_scanner_finds_secrets():
    key_header = "-----BEGIN " + "RSA PRIVATE KEY-----"
    samples = [
        key_header,
        "aws_key = AKIA" + "ABCDEFGHIJKLMNOP",
        "token: ghp_" + "a1" * 20,
        'password: "S3cr3t-pa55word"',
        "QUESTLOG_API_KEYS=sk-" + "9f8e7d6c5b4a39281706",
        "postgres://app:hunter2" + "xyz@db:5432/app",
    ]
    for sample in samples:
        assert find_secrets(sample), sample
    harmless = [
        'password: "${DB_PASSWORD}"',
        "apiKey: {{ .Values.key }}",
        "token = os.environ['TOKEN']",
        "password: changeme",
        'secret: ""',
        "existingSecret: questlog-api-keys",
        "api_key = key_matches",
    ]
    for sample in harmless:
        assert not find_secrets(sample), sample


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_secret_in_tracked_files_charts_or_images():
    files = tracked_files()
    assert any(f.match("charts/*/values*.yaml") or f.match("charts/**/values*.yaml") for f in files)
    assert any(f.name == "Dockerfile" for f in files)
    found = []
    for path in files:
        if path == Path(__file__) or not path.is_file():
            continue
        if path.suffix not in SCANNED_SUFFIXES and path.name != "Dockerfile":
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{path.relative_to(ROOT)}: {hit}" for hit in find_secrets(text)]
    assert not found, "\n".join(found)
