# shellcheck shell=bash
# Shared prelude for stack/bin scripts: paths, pinned versions, small helpers.
# Usage: source "$(dirname "$0")/common.sh"
set -euo pipefail

QL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QL_VAR=${QUESTLOG_VAR:-$QL_ROOT/var}
QL_CACHE=${QUESTLOG_CACHE:-$QL_ROOT/.cache}
export QL_ROOT QL_VAR QL_CACHE
# Docker client: Debian's (package docker.io) matches its dockerd; a newer client elsewhere on PATH
# would want BuildKit plugins that Debian's engine lacks.
QL_DOCKER=${DOCKER:-$([[ -x /usr/bin/docker ]] && echo /usr/bin/docker || command -v docker || echo docker)}

set -a
# shellcheck source=../versions.env
source "$QL_ROOT/stack/versions.env"
set +a

die() { echo "questlog: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# mvn_fetch POMDIR OUTDIR [-Dprop=value ...]: copy a pom's runtime dependencies into OUTDIR.
# Idempotent: a stamp keyed by the arguments skips the work when nothing changed; Maven's own
# ~/.m2 cache makes a re-fetch after `make distclean` offline-capable.
mvn_fetch() {
  local pomdir=$1 out=$2; shift 2
  # The key leaves out where the checkout is: checkouts (worktrees) sharing one QUESTLOG_CACHE agree on it.
  local key; key=$(echo "${pomdir#"$QL_ROOT"/} ${*//"$QL_ROOT"/} $(sha256sum < "$pomdir/pom.xml")" | sha256sum | cut -c1-16)
  if [[ -f "$out/.stamp-$key" ]]; then return 0; fi
  command -v mvn >/dev/null || die "Maven (mvn) is missing: apt-get install maven"
  mkdir -p "$(dirname "$out")"
  # Services started together (NameNode + DataNode) fetch the same OUTDIR: serialise on a lock.
  (
    flock 9
    if [[ -f "$out/.stamp-$key" ]]; then exit 0; fi
    rm -rf "$out"; mkdir -p "$out"
    local offline=()
    [[ -n "${QUESTLOG_OFFLINE:-}" ]] && offline=(-o)
    log "fetching JVM artifacts for $(basename "$pomdir") into $out"
    mvn -q -B "${offline[@]}" -f "$pomdir/pom.xml" "$@" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out" \
        || die "Maven could not resolve $pomdir/pom.xml (see output above; is Maven Central reachable?)"
    touch "$out/.stamp-$key"
  ) 9>"$out.lock"
}

# render TEMPLATE DEST: substitute ${VAR} references from the environment (envsubst-like, no deps).
# DEST is replaced atomically and only when its content changes: a running JVM (or a service started
# at the same moment that renders the same file) never reads a half-written config.
render() {
  mkdir -p "$(dirname "$2")"
  python3 - "$1" "$2" <<'PY'
import os, string, sys, tempfile
src, dst = sys.argv[1], sys.argv[2]
with open(src) as f:
    try:
        text = string.Template(f.read()).substitute(os.environ)
    except (KeyError, ValueError) as e:
        sys.exit(f"questlog: cannot render {src}: unset variable or stray '$' ({e!r}); write '$$' for a literal '$'")
try:
    with open(dst) as f:
        if f.read() == text:
            sys.exit(0)
except FileNotFoundError:
    pass
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dst) or ".", prefix=".render-")
with os.fdopen(fd, "w") as f:
    f.write(text)
os.chmod(tmp, 0o644)
os.replace(tmp, dst)
PY
}
