"""The classic version of this assignment's Spark job (the benchmark's baseline).

One streaming query per event type, each filtering the raw Kafka values with a Python UDF, parsing them
with an all-string schema and appending Parquet files every 10 seconds. Faithful to that design; the
only additions are for measuring it: on a drain request (a JSON file of the topic's end offsets) it
waits until every query has read up to them, then counts what reached the lake and notes when each
event's file was written, and stops.
"""

import json
import os
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql.functions import from_json, input_file_name, udf
from pyspark.sql.types import StringType, StructField, StructType
from questlog_stream.session import jars

BOOTSTRAP = os.environ.get("BASELINE_BOOTSTRAP", "127.0.0.1:9092")
TOPIC = os.environ.get("BASELINE_TOPIC", "baseline.events")
OUT = os.environ["BASELINE_OUT"]  # e.g. hdfs://127.0.0.1:8020/bench/baseline/<run>
CONTROL = os.environ["BASELINE_CONTROL"]  # local folder for the drain request and the result

HEADERS = ["Accept", "Host", "User-Agent", "Content-Type", "Content-Length", "Connection"]
FIELDS = {
    "purchase_weapon": ["weapon_type", "gold_cost", "damage"],
    "join_guild": ["guild_name", "special_power"],
    "enter_battle": ["enemy", "outcome"],
}


def schema(event_type):
    names = ["event_type", "event_id", "user_id", *HEADERS, *FIELDS[event_type]]
    return StructType([StructField(name, StringType(), True) for name in names])


def is_type(event_type):
    @udf("boolean")
    def check(event_as_json):
        event = json.loads(event_as_json)
        return event["event_type"] == event_type

    return check


def start(spark, raw, event_type):
    value = raw.value.cast("string")
    events = (
        raw.filter(is_type(event_type)(value))
        .select(
            value.alias("raw_event"), raw.timestamp.cast("string"), from_json(value, schema(event_type)).alias("json")
        )
        .select("raw_event", "timestamp", "json.*")
    )
    return (
        events.writeStream.format("parquet")
        .option("checkpointLocation", f"{OUT}/checkpoints/{event_type}")
        .option("path", f"{OUT}/{event_type}")
        .trigger(processingTime="10 seconds")
        .start()
    )


def read_offsets(query):
    progress = query.lastProgress
    if not progress:
        return {}
    end = progress["sources"][0]["endOffset"]
    end = json.loads(end) if isinstance(end, str) else end
    return {int(p): int(o) for p, o in (end or {}).get(TOPIC, {}).items()}


def caught_up(queries, wanted):
    return all(all(read_offsets(q).get(p, -1) >= o for p, o in wanted.items()) for q in queries.values())


def measure(spark):
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    counts, visible = {}, {}
    for event_type in FIELDS:
        path = jvm.org.apache.hadoop.fs.Path(f"{OUT}/{event_type}")
        fs = path.getFileSystem(conf)
        if not fs.exists(path):
            counts[event_type] = 0
            continue
        written = {s.getPath().getName(): s.getModificationTime() for s in fs.listStatus(path)}
        df = spark.read.parquet(f"{OUT}/{event_type}")
        counts[event_type] = df.count()
        for event_id, file in df.select("event_id", input_file_name()).where("event_id IS NOT NULL").collect():
            visible[event_id] = written.get(file.rsplit("/", 1)[-1])
    return counts, visible


def main():
    spark = (
        SparkSession.builder.appName("baseline-stream")
        .master("local[2]")
        .config("spark.jars", ",".join(jars()))
        .config("spark.driver.memory", "1g")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", BOOTSTRAP)
        .option("subscribe", TOPIC)
        .option("startingOffsets", "earliest")
        .load()
    )
    queries = {t: start(spark, raw, t) for t in FIELDS}
    # Ready once every query has run its first micro-batch (JVM and Python workers warm).
    while not all(q.lastProgress for q in queries.values()) and all(q.isActive for q in queries.values()):
        time.sleep(1)
    with open(os.path.join(CONTROL, "started"), "w") as f:
        f.write(str(time.time()))
    drain_file = os.path.join(CONTROL, "drain.json")
    deadline = None
    while all(q.isActive for q in queries.values()):
        time.sleep(1)
        if not os.path.exists(drain_file):
            continue
        with open(drain_file) as f:
            request = json.load(f)
        wanted = {int(p): int(o) for p, o in request["offsets"].items()}
        deadline = deadline or time.monotonic() + float(request["timeout_s"])
        if caught_up(queries, wanted) or time.monotonic() > deadline:
            break
    failed = {t: str(q.exception()) for t, q in queries.items() if not q.isActive}
    done = caught_up(queries, wanted) if deadline else False
    for q in queries.values():
        q.stop()
    counts, visible = measure(spark)
    result = {"caught_up": done, "failed_queries": failed, "counts": counts, "visible_ms": visible}
    with open(os.path.join(CONTROL, "result.json.tmp"), "w") as f:
        json.dump(result, f)
    os.replace(os.path.join(CONTROL, "result.json.tmp"), os.path.join(CONTROL, "result.json"))
    spark.stop()
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
