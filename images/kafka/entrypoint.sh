#!/bin/bash
# Kafka (KRaft, broker + controller) in a container: fill the per-pod values into the config the chart
# mounts (stack/conf/kafka/server.properties rendered for the cluster), format the log directory on
# the first start only, then exec the broker so that SIGTERM reaches the JVM (clean shutdown).
# Env: POD_NAME (default: hostname; its ordinal is node.id unless KAFKA_NODE_ID), KAFKA_CLUSTER_ID,
#      KAFKA_HEAP (512m), KAFKA_CONFIG_TEMPLATE (/etc/questlog/kafka), KAFKA_CREDENTIALS_DIR (when the
#      chart locks Kafka: the mounted Secret; its admin-password becomes the super user's SCRAM
#      credential in the metadata when the volume is formatted).
set -euo pipefail
template=${KAFKA_CONFIG_TEMPLATE:-/etc/questlog/kafka}
conf=/var/lib/questlog/conf/kafka
pod=${POD_NAME:-$(hostname)}
node_id=${KAFKA_NODE_ID:-${pod##*-}}
if ! [[ $node_id =~ ^[0-9]+$ ]]; then
  echo "kafka: cannot take node.id from pod name '$pod' (no -<ordinal>); set KAFKA_NODE_ID" >&2
  exit 1
fi
mkdir -p "$conf"
sed -e "s/@NODE_ID@/$node_id/g" -e "s/@POD_NAME@/$pod/g" "$template/server.properties" > "$conf/server.properties"
cp "$template/log4j2.xml" "$template/tools-log4j2.xml" "$conf/"
log_dir=$(sed -n 's/^log\.dirs=//p' "$conf/server.properties" | tail -n 1)
java=(java -cp "$KAFKA_HOME/lib/*")

scram=()
if [[ -n ${KAFKA_CREDENTIALS_DIR:-} ]]; then
  admin_password=$(<"$KAFKA_CREDENTIALS_DIR/admin-password")
  scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=$admin_password]")
fi

if [[ ! -f $log_dir/meta.properties ]]; then
  echo "kafka: formatting $log_dir (node $node_id, cluster ${KAFKA_CLUSTER_ID:?set KAFKA_CLUSTER_ID})" >&2
  "${java[@]}" -Xmx256m -Dlog4j2.configurationFile="$conf/tools-log4j2.xml" \
    kafka.tools.StorageTool format --cluster-id "$KAFKA_CLUSTER_ID" --config "$conf/server.properties" "${scram[@]}"
fi

heap=${KAFKA_HEAP:-512m}
# GC flags as in Kafka's kafka-run-class.sh (and stack/bin/run-kafka)
exec "${java[@]}" -Xms"$heap" -Xmx"$heap" \
  -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
  -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$conf/log4j2.xml" \
  kafka.Kafka "$conf/server.properties"
