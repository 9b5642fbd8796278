package questlog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StatefulProcessor;
import org.apache.spark.sql.streaming.TTLConfig;
import org.apache.spark.sql.streaming.TimeMode;
import org.apache.spark.sql.streaming.TimerValues;
import org.apache.spark.sql.streaming.ValueState;
import org.apache.spark.sql.types.StructType;

import scala.jdk.javaapi.CollectionConverters;

/**
 * Cross-batch deduplication by key with a processing-time TTL (Spark 4.0 transformWithState).
 *
 * <p>The state holds, per key, the table its first copy went to, for {@code ttlMs} of processing time
 * after that first sighting (TTL cleanup costs what expires, not the state size). Within a batch the
 * copy with the smallest order (Kafka topic, partition, offset) wins. A later copy for the same table
 * is dropped; a copy for another table is emitted with the conflict column set to the first table, so
 * the writer can dead-letter it instead of landing one id in two tables. There is no event-time
 * watermark: no row is ever dropped as late. On a replay of batch N Spark reloads state version N and
 * the batch timestamp of offsets/N, so the output is the same.
 */
public final class Dedup {
  private Dedup() {}

  /** Deduplicate {@code df} by {@code keyCol}; returns the same schema. */
  public static Dataset<Row> apply(
      Dataset<Row> df, String keyCol, String tableCol, String orderCol, String conflictCol, long ttlMs) {
    StructType schema = df.schema();
    final int key = schema.fieldIndex(keyCol);
    Proc proc = new Proc(ttlMs, schema.fieldIndex(tableCol), schema.fieldIndex(orderCol), schema.fieldIndex(conflictCol));
    return df.groupByKey((MapFunction<Row, String>) r -> r.getString(key), Encoders.STRING())
        .transformWithState(proc, TimeMode.ProcessingTime(), OutputMode.Append(), Encoders.row(schema));
  }

  static final class Proc extends StatefulProcessor<String, Row, Row> {
    private static final long serialVersionUID = 1L;
    private final long ttlMs;
    private final int table;
    private final int order;
    private final int conflict;
    private transient ValueState<String> seen;

    Proc(long ttlMs, int table, int order, int conflict) {
      this.ttlMs = ttlMs;
      this.table = table;
      this.order = order;
      this.conflict = conflict;
    }

    @Override
    public void init(OutputMode outputMode, TimeMode timeMode) {
      seen = getHandle().getValueState("seen", Encoders.STRING(), TTLConfig.apply(Duration.ofMillis(ttlMs)));
    }

    @Override
    public scala.collection.Iterator<Row> handleInputRows(
        String key, scala.collection.Iterator<Row> rows, TimerValues timerValues) {
      List<Row> copies = new ArrayList<>();
      while (rows.hasNext()) {
        copies.add(rows.next());
      }
      copies.sort((a, b) -> Long.compare(a.getLong(order), b.getLong(order)));
      // get() is null for a key never seen or expired (exists() is get() != null: one RocksDB read, not two).
      String first = seen.get();
      List<Row> out = new ArrayList<>(1);
      for (Row r : copies) {
        String t = r.getString(table);
        if (first == null) {
          first = t;
          seen.update(t);
          out.add(r);
        } else if (!first.equals(t)) {
          out.add(withConflict(r, first));
        }
      }
      return CollectionConverters.asScala(out.iterator());
    }

    private Row withConflict(Row r, String firstTable) {
      Object[] values = new Object[r.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = r.get(i);
      }
      values[conflict] = firstTable;
      return RowFactory.create(values);
    }
  }
}
