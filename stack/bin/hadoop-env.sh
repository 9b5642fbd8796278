# shellcheck shell=bash
# Sourced (after common.sh) by run-hdfs-namenode, run-hdfs-datanode and hdfs: fetches the jars,
# renders the HDFS config into $HADOOP_CONF and defines HADOOP_JAVA, the java command line prefix
# (JVM flags + classpath) shared by the daemons and the CLI; callers append heap flags and a main class.
"$QL_ROOT/stack/bin/fetch-hadoop"

HADOOP_CONF=$QL_VAR/conf/hadoop
for f in core-site.xml hdfs-site.xml log4j.properties hadoop-metrics2.properties; do
  render "$QL_ROOT/stack/conf/hadoop/$f" "$HADOOP_CONF/$f"
done
mkdir -p "$QL_VAR/log"

# shellcheck disable=SC2034  # used by the scripts that source this file
HADOOP_JAVA=(
  "$JAVA17_HOME/bin/java"
  # the module openings Hadoop's own launcher adds on JDK 17+
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-exports=java.base/sun.net.dns=ALL-UNNAMED
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  -Djava.net.preferIPv4Stack=true
  -Dlog4j.configuration="file:$HADOOP_CONF/log4j.properties"
  # hadoop.home.dir silences the "HADOOP_HOME is unset" check; log dir backs the web UI's /logs
  -Dhadoop.home.dir="$QL_CACHE/hadoop"
  -Dhadoop.log.dir="$QL_VAR/log"
  # config dir first: Configuration finds core-site.xml / hdfs-site.xml on the classpath;
  # web/ holds webapps/ (NameNode + DataNode web UI, WebHDFS) extracted by fetch-hadoop
  -cp "$HADOOP_CONF:$QL_CACHE/hadoop/web:$QL_CACHE/hadoop/lib/*"
)
