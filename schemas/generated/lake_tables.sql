-- generated from schemas/ by `make generate` (tools/generate.py); do not edit
-- The Spark SQL the streaming job runs (questlog_stream.tables) for catalog lake, namespace game;
-- columns a newer schema version adds are added with ALTER TABLE ... ADD COLUMN.

CREATE TABLE IF NOT EXISTS lake.game.enter_battle (
  event_id string COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type string COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id string COMMENT 'The player who performed the action.',
  event_ts timestamp COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the event (UTC).',
  host string COMMENT 'Host header of the request (the player\'s network in the seed data).',
  user_agent string COMMENT 'User-Agent header of the request.',
  schema_version string COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  enemy string COMMENT 'Enemy fought.',
  outcome string COMMENT 'Whether the player won or lost.',
  kafka_partition int COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp COMMENT 'Time the streaming writer committed the row (UTC).'
) USING iceberg
PARTITIONED BY (days(event_ts))
TBLPROPERTIES ('format-version'='2', 'write.format.default'='parquet', 'write.parquet.compression-codec'='zstd', 'write.metadata.delete-after-commit.enabled'='true', 'write.metadata.previous-versions-max'='50', 'commit.retry.num-retries'='10');

CREATE TABLE IF NOT EXISTS lake.game.join_guild (
  event_id string COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type string COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id string COMMENT 'The player who performed the action.',
  event_ts timestamp COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the event (UTC).',
  host string COMMENT 'Host header of the request (the player\'s network in the seed data).',
  user_agent string COMMENT 'User-Agent header of the request.',
  schema_version string COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  guild_name string COMMENT 'Name of the guild joined.',
  special_power string COMMENT 'Special power the guild grants.',
  kafka_partition int COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp COMMENT 'Time the streaming writer committed the row (UTC).'
) USING iceberg
PARTITIONED BY (days(event_ts))
TBLPROPERTIES ('format-version'='2', 'write.format.default'='parquet', 'write.parquet.compression-codec'='zstd', 'write.metadata.delete-after-commit.enabled'='true', 'write.metadata.previous-versions-max'='50', 'commit.retry.num-retries'='10');

CREATE TABLE IF NOT EXISTS lake.game.purchase_weapon (
  event_id string COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type string COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id string COMMENT 'The player who performed the action.',
  event_ts timestamp COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the event (UTC).',
  host string COMMENT 'Host header of the request (the player\'s network in the seed data).',
  user_agent string COMMENT 'User-Agent header of the request.',
  schema_version string COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  weapon_type string COMMENT 'Kind of weapon bought, e.g. sword.',
  gold_cost bigint COMMENT 'Gold paid for the weapon.',
  damage bigint COMMENT 'Damage rating of the weapon.',
  kafka_partition int COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp COMMENT 'Time the streaming writer committed the row (UTC).'
) USING iceberg
PARTITIONED BY (days(event_ts))
TBLPROPERTIES ('format-version'='2', 'write.format.default'='parquet', 'write.parquet.compression-codec'='zstd', 'write.metadata.delete-after-commit.enabled'='true', 'write.metadata.previous-versions-max'='50', 'commit.retry.num-retries'='10');

CREATE TABLE IF NOT EXISTS lake.game.bad_events (
  dlq_id string COMMENT 'Unique id of the dead-letter record.',
  reason string COMMENT 'Why the input was rejected, naming the field.',
  field string COMMENT 'The offending field (JSON path), when there is one.',
  event_type string COMMENT 'Event type the input claimed, when readable.',
  event_id string COMMENT 'Event id the input carried, when readable.',
  user_id string COMMENT 'User id the input carried, when readable.',
  raw string COMMENT 'The rejected input as received (truncated).',
  raw_truncated boolean COMMENT 'Whether raw was cut to the size limit.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the input (UTC).',
  host string COMMENT 'Host header of the request.',
  user_agent string COMMENT 'User-Agent header of the request.',
  endpoint string COMMENT 'Request path that received the input.',
  kafka_partition int COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp COMMENT 'Time the streaming writer committed the row (UTC).'
) USING iceberg
PARTITIONED BY (days(received_at))
TBLPROPERTIES ('format-version'='2', 'write.format.default'='parquet', 'write.parquet.compression-codec'='zstd', 'write.metadata.delete-after-commit.enabled'='true', 'write.metadata.previous-versions-max'='50', 'commit.retry.num-retries'='10');
