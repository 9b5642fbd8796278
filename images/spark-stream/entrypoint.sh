#!/bin/bash
# Entrypoint of the spark-stream image, following Spark's kubernetes/dockerfiles entrypoint.sh:
# spark-operator's driver pod runs `driver ARGS` (spark-submit in client mode inside the pod), executor
# pods run `executor` (KubernetesExecutorBackend from the SPARK_* variables Spark sets); anything else
# is executed as is (e.g. `python3 -m questlog_stream.main` for docker run).
set -euo pipefail
spark_classpath="$SPARK_HOME/jars/*"
case "${1:-}" in
  driver)
    shift
    exec "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS:-0.0.0.0}" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=${SPARK_DRIVER_BIND_ADDRESS:-}" \
      --deploy-mode client "$@" ;;
  executor)
    shift
    # SPARK_JAVA_OPT_0, _1, ... in order, as Spark's entrypoint does
    mapfile -t java_opts < <(env | grep '^SPARK_JAVA_OPT_' | sort -t_ -k4 -n | sed 's/^[^=]*=//')
    exec java "${java_opts[@]}" -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "${SPARK_CLASSPATH:-$spark_classpath}" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" --podName "$SPARK_EXECUTOR_POD_NAME" ;;
  "")
    exec python3 -m questlog_stream.main ;;
  *)
    exec "$@" ;;
esac
