#!/bin/bash
# HDFS daemon in a container, as stack/bin/run-hdfs-* run it locally: same JVM flags and classpath,
# config from $HADOOP_CONF_DIR (the chart's ConfigMap). The NameNode formats its directory on the first
# start only (-nonInteractive never re-formats). Usage: hdfs-entrypoint namenode|datanode
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
  *)
    exec "$@" ;;
esac
