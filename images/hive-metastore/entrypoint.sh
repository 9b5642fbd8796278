#!/bin/bash
# Hive metastore in a container, as stack/bin/run-metastore runs it: the schematool creates the Derby
# schema on the first start (a marker records success), then the thrift server runs in the foreground.
# Env: METASTORE_CONF_DIR (the chart's ConfigMap), METASTORE_HEAP (512m), METASTORE_DATA (/var/lib/questlog/data/metastore).
set -euo pipefail
conf=$METASTORE_CONF_DIR
data=${METASTORE_DATA:-/var/lib/questlog/data/metastore}
mkdir -p "$data"
java=(java -cp "$conf:/opt/metastore/lib/*" -Djava.net.preferIPv4Stack=true
  -Dlog4j2.configurationFile="$conf/metastore-log4j2.properties" -Dderby.stream.error.file="$data/derby.log")
marker=$data/.schema-${HIVE_SCHEMA_MARKER:-initialised}
if [[ ! -f $marker ]]; then
  echo "metastore: initialising the schema in $data" >&2
  if ! "${java[@]}" -Xmx256m org.apache.hadoop.hive.metastore.tools.schematool.MetastoreSchemaTool \
      -initOrUpgradeSchema -dbType derby > "$data/schematool.log" 2>&1; then
    tail -n 40 "$data/schematool.log" >&2
    echo "metastore: schema init failed (log: $data/schematool.log)" >&2
    exit 1
  fi
  touch "$marker"
fi
heap=${METASTORE_HEAP:-512m}
exec "${java[@]}" -Xms64m -Xmx"$heap" -XX:+UseSerialGC org.apache.hadoop.hive.metastore.HiveMetaStore
