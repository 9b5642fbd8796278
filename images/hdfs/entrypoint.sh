#!/bin/bash
# HDFS daemon in a container, as stack/bin/run-hdfs-* run it locally: same JVM flags and classpath,
# config from $HADOOP_CONF_DIR (the chart's ConfigMap). The NameNode formats its directory on the first
# start only (-nonInteractive never re-formats). Usage: hdfs-entrypoint namenode|datanode|init-dirs
# Env: HADOOP_HEAP (512m), HDFS_NAME_DIR (/var/lib/questlog/data/hdfs/name).
set -euo pipefail
role=${1:?usage: hdfs-entrypoint namenode|datanode}
conf=${HADOOP_CONF_DIR:-/etc/hadoop/conf}
java=(java
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-exports=java.base/sun.net.dns=ALL-UNNAMED
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  -Djava.net.preferIPv4Stack=true
  -Dlog4j.configuration="file:$conf/log4j.properties"
  -Dhadoop.home.dir="$HADOOP_HOME"
  -Dhadoop.log.dir=/var/lib/questlog/log
  -cp "$conf:$HADOOP_HOME/web:$HADOOP_HOME/lib/*")
heap=${HADOOP_HEAP:-512m}
case $role in
  namenode)
    name_dir=${HDFS_NAME_DIR:-/var/lib/questlog/data/hdfs/name}
    if [[ ! -f $name_dir/current/VERSION ]]; then
      echo "hdfs: formatting the NameNode in $name_dir" >&2
      "${java[@]}" -Xmx256m -Dhadoop.root.logger=WARN,console \
        org.apache.hadoop.hdfs.server.namenode.NameNode -format -nonInteractive -clusterId CID-questlog
    fi
    exec "${java[@]}" -Xms"$heap" -Xmx"$heap" -Dproc_namenode org.apache.hadoop.hdfs.server.namenode.NameNode ;;
  datanode)
    exec "${java[@]}" -Xms"$heap" -Xmx"$heap" -Dproc_datanode org.apache.hadoop.hdfs.server.datanode.DataNode ;;
  init-dirs)
    # As the super user (HADOOP_USER_NAME=hdfs): once the NameNode has left safe mode, create the
    # directories of HDFS_DIRECTORIES ("path owner group mode" per line) and set their owners and
    # modes. Idempotent: it runs after every install and upgrade. One client JVM per distinct owner
    # and mode, not per directory.
    client=("${java[@]}" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dhadoop.root.logger=WARN,console)
    shell=("${client[@]}" org.apache.hadoop.fs.FsShell)
    declare -A by_owner=() by_mode=()
    paths=()
    while read -r path owner group mode; do
      [[ -n ${path:-} ]] || continue
      [[ -n ${mode:-} && $path == /* ]] || { echo "hdfs init-dirs: want '/path owner group mode', got: $path $owner $group" >&2; exit 2; }
      paths+=("$path")
      by_owner[$owner:$group]+=" $path"
      by_mode[$mode]+=" $path"
    done <<< "${HDFS_DIRECTORIES:-}"
    (( ${#paths[@]} )) || { echo "hdfs init-dirs: HDFS_DIRECTORIES is empty" >&2; exit 2; }
    "${client[@]}" org.apache.hadoop.hdfs.tools.DFSAdmin -safemode wait
    "${shell[@]}" -mkdir -p "${paths[@]}"
    for owner in "${!by_owner[@]}"; do
      # shellcheck disable=SC2086 # the list of paths (no spaces in HDFS_DIRECTORIES paths)
      "${shell[@]}" -chown "$owner" ${by_owner[$owner]}
    done
    for mode in "${!by_mode[@]}"; do
      # shellcheck disable=SC2086
      "${shell[@]}" -chmod "$mode" ${by_mode[$mode]}
    done
    "${shell[@]}" -ls -d "${paths[@]}" | sed 's/^/hdfs init-dirs: /'
    echo "hdfs init-dirs: done" ;;
  *)
    exec "$@" ;;
esac
