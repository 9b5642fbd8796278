"""questlog_stack: run the local stack (Kafka, HDFS, metastore, Trino, API, stream) as processes."""
