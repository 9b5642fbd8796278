#!/usr/bin/env bash
# Build the questlog images with no download inside `docker build`: assemble each build context under
# .cache/images/ctx/<component> from what `make setup` fetched (JVM jars, uv's wheel cache), then build.
# When a base image is neither local nor pullable (air-gapped), bootstrap Debian bases with debootstrap
# from Debian's packages and `docker import` them.
#
# Usage: images/build.sh [--dry-run] [--no-pull] [COMPONENT...]   (default: every component)
#   --dry-run  assemble the contexts and print the docker commands; needs no Docker
#   --no-pull  never contact a container registry: local base images or the bootstrapped ones
# Env: IMAGE_PREFIX (questlog), IMAGE_TAG (chart appVersion), DOCKER (Debian's /usr/bin/docker if present), DEBIAN_SUITE (bookworm),
#      <COMPONENT>_BASE_IMAGE overrides, e.g. API_BASE_IMAGE=python:3.11-slim-bookworm.
source "$(dirname "$0")/../stack/bin/common.sh"
cd "$QL_ROOT"

ALL=(api spark-stream kafka hdfs hive-metastore trino loadgen models)
dry_run=0 pull=1
components=()
for arg in "$@"; do
  case $arg in
    --dry-run) dry_run=1 ;;
    --no-pull) pull=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) [[ " ${ALL[*]} " == *" $arg "* ]] || die "unknown component '$arg' (one of: ${ALL[*]})"; components+=("$arg") ;;
  esac
done
(( ${#components[@]} )) || components=("${ALL[@]}")

prefix=${IMAGE_PREFIX:-questlog}
tag=${IMAGE_TAG:-$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' charts/questlog/Chart.yaml)}
[[ -n $tag ]] || die "cannot read appVersion from charts/questlog/Chart.yaml"
docker=$QL_DOCKER
suite=${DEBIAN_SUITE:-bookworm}
build=$QL_CACHE/images
spark_minor=$(echo "$SPARK_VERSION" | cut -d. -f1,2)

# Default base images: the usual public ones (build args of the Dockerfiles, repeated here so that the
# air-gapped fallback knows what it stands in for).
declare -A BASE=(
  [api]=python:3.11-slim-bookworm [loadgen]=python:3.11-slim-bookworm [models]=python:3.11-slim-bookworm [spark-stream]=python:3.11-slim-bookworm
  [kafka]=eclipse-temurin:17-jre-noble [hdfs]=eclipse-temurin:17-jre-noble
  [hive-metastore]=eclipse-temurin:17-jre-noble [trino]=eclipse-temurin:25-jre-noble
)
JRE_IMAGE=eclipse-temurin:17-jre-noble

run() { if (( dry_run )); then printf '+ %q' "$1"; shift; printf ' %q' "$@"; echo; else "$@"; fi; }

need() {  # need PATH HINT: a `make setup` artifact must exist
  [[ -e $1 ]] || die "missing $1: run \`make setup\` first ($2)"
}

# Copy a tree into a context with hard links (same file system: no extra space, instant).
link_tree() { mkdir -p "$2"; cp -al "$1/." "$2/"; }

# The repository's own code, in its usual layout (paths inside the packages rely on it).
copy_app() {
  local dest=$1; shift
  mkdir -p "$dest"
  tar -C "$QL_ROOT" --exclude=__pycache__ --exclude='*.pyc' -cf - "$@" | tar -C "$dest" -xf -
}

# The locked runtime dependencies (no dev group), installed from uv's cache into a private environment.
# `runtime_site_packages models`: only the models group (dbt-core, dbt-trino), for the models image.
runtime_site_packages() {
  local flavour=${1:-runtime} groups=(--no-dev --no-group models)
  [[ $flavour == models ]] && groups=(--only-group models)
  local env=$build/$flavour
  if [[ ! -f $env/.stamp-$(sha256sum uv.lock | cut -c1-16) ]]; then
    log "installing the locked $flavour dependencies into $env"
    local py; py=$(command -v python3.11 || command -v python3)
    UV_PROJECT_ENVIRONMENT=$env "$py" -m uv sync --frozen "${groups[@]}" --no-install-project --quiet --python "$py" --offline \
      || UV_PROJECT_ENVIRONMENT=$env "$py" -m uv sync --frozen "${groups[@]}" --no-install-project --quiet --python "$py" \
      || die "uv could not install the $flavour dependencies into $env"
    rm -f "$env"/.stamp-*; touch "$env/.stamp-$(sha256sum uv.lock | cut -c1-16)"
  fi
  echo "$env/lib/python3.11/site-packages"
}

# Spark's Kubernetes jars when the pyspark wheel lacks them (spark-submit needs them for a k8s:// master),
# minus every artifact pyspark/jars already has in any version. Empty when the wheel has them.
spark_k8s_jars() {
  local all=$build/spark-k8s-all out=$build/spark-k8s
  rm -rf "$out"; mkdir -p "$out"
  if ! ls "$1/pyspark/jars"/spark-kubernetes_*-"$SPARK_VERSION".jar >/dev/null 2>&1; then
    mvn_fetch "$QL_ROOT/images/spark-stream" "$all" -Dspark.version="$SPARK_VERSION" \
      -Dscala.binary.version="$SCALA_BINARY_VERSION" -Dstyle.color=never >&2
    local have; have=$(ls "$1/pyspark/jars" | sed -E 's/-[0-9][^-]*(-[a-z]+)?\.jar$//' | sort -u)
    for jar in "$all"/*.jar; do
      local name; name=$(basename "$jar" | sed -E 's/-[0-9][^-]*(-[a-z]+)?\.jar$//')
      grep -qxF "$name" <<< "$have" || ln "$jar" "$out/"
    done
    ls "$out"/spark-kubernetes_*-"$SPARK_VERSION".jar >/dev/null 2>&1 || die "spark-kubernetes jar missing in $out"
  fi
  echo "$out"
}

# apache2-utils (ab) and its dependency closure as .debs for the base's Debian release.
ab_debs() {
  local out=$build/debs-$suite
  if [[ ! -f $out/.stamp ]]; then
    [[ $(. /etc/os-release && echo "$VERSION_CODENAME") == "$suite" ]] \
      || die "ab's .debs come from this machine's apt, which is not Debian $suite"
    rm -rf "$out"; mkdir -p "$out"
    local pkgs; pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances --no-pre-depends apache2-utils | grep -E '^[a-z0-9]' | sort -u)
    # shellcheck disable=SC2086
    (cd "$out" && { apt-get download $pkgs >/dev/null 2>&1 || { apt-get update -qq && apt-get download $pkgs >/dev/null; }; }) \
      || die "apt-get could not download apache2-utils and its dependencies"
    touch "$out/.stamp"
  fi
  echo "$out"
}

assemble() {  # assemble COMPONENT: fill .cache/images/ctx/COMPONENT
  local c=$1 ctx=$build/ctx/$1 site
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp -a "images/$c/." "$ctx/"
  case $c in
    kafka)
      need "$QL_CACHE/kafka/lib/kafka_2.13-$KAFKA_VERSION.jar" "Kafka jars"
      link_tree "$QL_CACHE/kafka/lib" "$ctx/lib"; rm -f "$ctx"/lib/.stamp-* ;;
    hdfs)
      need "$QL_CACHE/hadoop/lib/hadoop-hdfs-$HADOOP_VERSION.jar" "Hadoop jars"
      need "$QL_CACHE/hadoop/web/webapps/hdfs" "HDFS web UI"
      link_tree "$QL_CACHE/hadoop/lib" "$ctx/lib"; link_tree "$QL_CACHE/hadoop/web" "$ctx/web"; rm -f "$ctx"/lib/.stamp-* ;;
    hive-metastore)
      need "$QL_CACHE/metastore/lib/hive-standalone-metastore-server-$HIVE_VERSION.jar" "metastore jars"
      need "$QL_CACHE/metastore/home/scripts" "metastore schema scripts"
      link_tree "$QL_CACHE/metastore/lib" "$ctx/lib"; link_tree "$QL_CACHE/metastore/home/scripts" "$ctx/home/scripts"
      rm -f "$ctx"/lib/.stamp-* ;;
    trino)
      need "$QL_CACHE/trino/trino-server-$TRINO_VERSION/bin/launcher" "Trino server"
      link_tree "$QL_CACHE/trino/trino-server-$TRINO_VERSION" "$ctx/trino-server" ;;
    api)
      site=$(runtime_site_packages)
      link_tree "$site" "$ctx/site-packages"; rm -rf "$ctx"/site-packages/{pyspark,py4j}*
      copy_app "$ctx/app" lib/questlog_core services/api schemas ;;
    loadgen)
      site=$(runtime_site_packages)
      link_tree "$site" "$ctx/site-packages"; rm -rf "$ctx"/site-packages/{pyspark,py4j}*
      local debs; debs=$(ab_debs)
      link_tree "$debs" "$ctx/debs"; rm -f "$ctx/debs/.stamp"
      copy_app "$ctx/app" lib/questlog_core loadgen schemas ;;
    models)
      site=$(runtime_site_packages models)
      link_tree "$site" "$ctx/site-packages"
      copy_app "$ctx/app" models ;;
    spark-stream)
      site=$(runtime_site_packages)
      need "$QL_CACHE/spark/jars/iceberg-spark-runtime-${spark_minor}_${SCALA_BINARY_VERSION}-$ICEBERG_VERSION.jar" "Spark connector jars"
      link_tree "$site" "$ctx/site-packages"
      local k8s_jars; k8s_jars=$(spark_k8s_jars "$site")
      link_tree "$k8s_jars" "$ctx/k8s-jars"
      link_tree "$QL_CACHE/spark/jars" "$ctx/spark-jars"; rm -f "$ctx"/spark-jars/.stamp-*
      copy_app "$ctx/app" lib/questlog_core jobs/spark-stream schemas ;;
  esac
  log "context $c: $(du -sh --apparent-size "$ctx" | cut -f1) in $ctx"
}

# Air-gapped bases: Debian $suite from Debian's packages (python3 is 3.11 there, openjdk-17, ab),
# plus JRE 17/25 flavours laid out like the Temurin images (/opt/java/openjdk).
bootstrap_bases() {
  local dir=$build/bootstrap
  if ! $docker image inspect "$prefix/base-debian:$suite" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null || { apt-get install -y -qq debootstrap >/dev/null || die "debootstrap is missing"; }
    # this machine's Debian mirror (sources.list or deb822 .sources), not a commented-out one
    local mirror; mirror=$(grep -rhE '^(URIs:|deb) ' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
      | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ')
    rm -rf "$dir/rootfs"; mkdir -p "$dir/rootfs"
    log "bootstrapping Debian $suite from ${mirror:-the default mirror}"
    debootstrap --variant=minbase --include=python3,python3-venv,openjdk-17-jre-headless,apache2-utils,ca-certificates \
      "$suite" "$dir/rootfs" ${mirror:+"$mirror"} || die "debootstrap failed"
    tar -C "$dir/rootfs" -c . | $docker import - "$prefix/base-debian:$suite"
  fi
  mkdir -p "$dir/jre17" "$dir/jre25"
  printf '%s\n' "FROM $prefix/base-debian:$suite" \
    "RUN mkdir -p /opt/java && ln -s /usr/lib/jvm/java-17-openjdk-amd64 /opt/java/openjdk" \
    'ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:$PATH' > "$dir/jre17/Dockerfile"
  $docker build -q -t "$prefix/base-jre17:$suite" "$dir/jre17" >/dev/null
  # No Debian package of JDK 25 in $suite: the machine's own (JAVA25_HOME, the one the local stack runs).
  rm -rf "$dir/jre25/jdk"; cp -a "$JAVA25_HOME" "$dir/jre25/jdk"
  printf '%s\n' "FROM $prefix/base-debian:$suite" "COPY jdk/ /opt/java/openjdk/" \
    'ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:$PATH' > "$dir/jre25/Dockerfile"
  $docker build -q -t "$prefix/base-jre25:$suite" "$dir/jre25" >/dev/null
}

resolve_base() {  # resolve_base IMAGE: IMAGE if local or pullable, else its bootstrapped stand-in
  local image=$1
  if $docker image inspect "$image" >/dev/null 2>&1 || { (( pull )) && $docker pull -q "$image" >/dev/null 2>&1; }; then
    echo "$image"; return
  fi
  bootstrap_bases >&2
  case $image in
    python:*) echo "$prefix/base-debian:$suite" ;;
    *:25-*) echo "$prefix/base-jre25:$suite" ;;
    *) echo "$prefix/base-jre17:$suite" ;;
  esac
}

if (( ! dry_run )); then
  command -v "$docker" >/dev/null && $docker info >/dev/null 2>&1 \
    || die "no Docker engine (apt-get install docker.io; start dockerd), or use --dry-run"
fi
for c in "${components[@]}"; do
  assemble "$c"
  var=$(echo "${c//-/_}_BASE_IMAGE" | tr '[:lower:]' '[:upper:]')
  base=${!var:-${BASE[$c]}}
  # The versions of stack/versions.env (and the questlog version) that this Dockerfile declares.
  declare -A values=([QUESTLOG_VERSION]=$tag)
  for name in KAFKA_VERSION HADOOP_VERSION HIVE_VERSION TRINO_VERSION SPARK_VERSION ICEBERG_VERSION; do
    values[$name]=${!name}
  done
  args=()
  for name in $(sed -n 's/^ARG \([A-Z0-9_]*_VERSION\)=.*/\1/p' "images/$c/Dockerfile"); do
    args+=(--build-arg "$name=${values[$name]:?$name is not in stack/versions.env}")
  done
  if (( dry_run )); then
    args+=(--build-arg "BASE_IMAGE=$base")
    [[ $c == spark-stream ]] && args+=(--build-arg "JRE_IMAGE=$JRE_IMAGE")
  else
    args+=(--build-arg "BASE_IMAGE=$(resolve_base "$base")")
    [[ $c == spark-stream ]] && args+=(--build-arg "JRE_IMAGE=$(resolve_base "$JRE_IMAGE")")
  fi
  run "$docker" build "${args[@]}" -t "$prefix/$c:$tag" "$build/ctx/$c"
done
log "images: $(printf "$prefix/%s:$tag " "${components[@]}")"
