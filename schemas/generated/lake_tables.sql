-- generated from schemas/ by `make generate` (tools/generate.py); do not edit
-- The Spark SQL the streaming job runs (questlog_stream.tables) for catalog lake, namespace game;
-- columns a newer schema version adds are added with ALTER TABLE ... ADD COLUMN.

CREATE TABLE IF NOT EXISTS lake.game.currency_change (
  event_id string COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type string COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id string COMMENT 'The player who performed the action.',
  event_ts timestamp COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the event (UTC).',
  host string COMMENT 'Host header of the request (the player\'s network in the seed data).',
  user_agent string COMMENT 'User-Agent header of the request.',
  schema_version string COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  session_id string COMMENT 'The play session the event belongs to (client-assigned); events without one are sessionized by the models (30-minute inactivity gap).',
  sent_at timestamp COMMENT 'RFC 3339 time on the device clock when the event was sent; with received_at it corrects device clock skew (derived_ts).',
  platform string COMMENT 'The client platform: ios, android, web or other.',
  app_version string COMMENT 'Version of the game client that sent the event.',
  derived_ts timestamp COMMENT 'event_ts corrected for device clock skew: event_ts + (received_at - sent_at) when sent_at is present, else event_ts (UTC). KPI days are date(derived_ts).',
  currency_name string COMMENT 'The in-game currency, e.g. gold or gems.',
  amount bigint COMMENT 'Change of the balance, non-zero: > 0 a source (earned, bought), < 0 a sink (spent).',
  reason string COMMENT 'Why the balance changed, e.g. quest_reward, iap, weapon_purchase.',
  balance bigint COMMENT 'The balance after the change.',
  kafka_partition int COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp COMMENT 'Time the streaming writer committed the row (UTC).'
) USING iceberg
PARTITIONED BY (days(event_ts))
TBLPROPERTIES ('format-version'='2', 'write.format.default'='parquet', 'write.parquet.compression-codec'='zstd', 'write.metadata.delete-after-commit.enabled'='true', 'write.metadata.previous-versions-max'='50', 'commit.retry.num-retries'='10');

CREATE TABLE IF NOT EXISTS lake.game.enter_battle (
  event_id string COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type string COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id string COMMENT 'The player who performed the action.',
  event_ts timestamp COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the event (UTC).',
  host string COMMENT 'Host header of the request (the player\'s network in the seed data).',
  user_agent string COMMENT 'User-Agent header of the request.',
  schema_version string COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  session_id string COMMENT 'The play session the event belongs to (client-assigned); events without one are sessionized by the models (30-minute inactivity gap).',
  sent_at timestamp COMMENT 'RFC 3339 time on the device clock when the event was sent; with received_at it corrects device clock skew (derived_ts).',
  platform string COMMENT 'The client platform: ios, android, web or other.',
  app_version string COMMENT 'Version of the game client that sent the event.',
  derived_ts timestamp COMMENT 'event_ts corrected for device clock skew: event_ts + (received_at - sent_at) when sent_at is present, else event_ts (UTC). KPI days are date(derived_ts).',
  enemy string COMMENT 'Enemy fought.',
  outcome string COMMENT 'Whether the player won or lost.',
  kafka_partition int COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp COMMENT 'Time the streaming writer committed the row (UTC).'
) USING iceberg
PARTITIONED BY (days(event_ts))
TBLPROPERTIES ('format-version'='2', 'write.format.default'='parquet', 'write.parquet.compression-codec'='zstd', 'write.metadata.delete-after-commit.enabled'='true', 'write.metadata.previous-versions-max'='50', 'commit.retry.num-retries'='10');

CREATE TABLE IF NOT EXISTS lake.game.iap_purchase (
  event_id string COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type string COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id string COMMENT 'The player who performed the action.',
  event_ts timestamp COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the event (UTC).',
  host string COMMENT 'Host header of the request (the player\'s network in the seed data).',
  user_agent string COMMENT 'User-Agent header of the request.',
  schema_version string COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  session_id string COMMENT 'The play session the event belongs to (client-assigned); events without one are sessionized by the models (30-minute inactivity gap).',
  sent_at timestamp COMMENT 'RFC 3339 time on the device clock when the event was sent; with received_at it corrects device clock skew (derived_ts).',
  platform string COMMENT 'The client platform: ios, android, web or other.',
  app_version string COMMENT 'Version of the game client that sent the event.',
  derived_ts timestamp COMMENT 'event_ts corrected for device clock skew: event_ts + (received_at - sent_at) when sent_at is present, else event_ts (UTC). KPI days are date(derived_ts).',
  product_id string COMMENT 'Store product id of the item bought.',
  price_cents bigint COMMENT 'Price paid, in the currency\'s minor unit (cents).',
  currency string COMMENT 'ISO 4217 code of the currency paid in, e.g. USD, EUR.',
  transaction_id string COMMENT 'The store\'s transaction id; a purchase counts once per transaction_id.',
  store string COMMENT 'The store that took the payment: app_store, google_play or other.',
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
  session_id string COMMENT 'The play session the event belongs to (client-assigned); events without one are sessionized by the models (30-minute inactivity gap).',
  sent_at timestamp COMMENT 'RFC 3339 time on the device clock when the event was sent; with received_at it corrects device clock skew (derived_ts).',
  platform string COMMENT 'The client platform: ios, android, web or other.',
  app_version string COMMENT 'Version of the game client that sent the event.',
  derived_ts timestamp COMMENT 'event_ts corrected for device clock skew: event_ts + (received_at - sent_at) when sent_at is present, else event_ts (UTC). KPI days are date(derived_ts).',
  guild_name string COMMENT 'Name of the guild joined.',
  special_power string COMMENT 'Special power the guild grants.',
  kafka_partition int COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp COMMENT 'Time the streaming writer committed the row (UTC).'
) USING iceberg
PARTITIONED BY (days(event_ts))
TBLPROPERTIES ('format-version'='2', 'write.format.default'='parquet', 'write.parquet.compression-codec'='zstd', 'write.metadata.delete-after-commit.enabled'='true', 'write.metadata.previous-versions-max'='50', 'commit.retry.num-retries'='10');

CREATE TABLE IF NOT EXISTS lake.game.level_progress (
  event_id string COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type string COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id string COMMENT 'The player who performed the action.',
  event_ts timestamp COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the event (UTC).',
  host string COMMENT 'Host header of the request (the player\'s network in the seed data).',
  user_agent string COMMENT 'User-Agent header of the request.',
  schema_version string COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  session_id string COMMENT 'The play session the event belongs to (client-assigned); events without one are sessionized by the models (30-minute inactivity gap).',
  sent_at timestamp COMMENT 'RFC 3339 time on the device clock when the event was sent; with received_at it corrects device clock skew (derived_ts).',
  platform string COMMENT 'The client platform: ios, android, web or other.',
  app_version string COMMENT 'Version of the game client that sent the event.',
  derived_ts timestamp COMMENT 'event_ts corrected for device clock skew: event_ts + (received_at - sent_at) when sent_at is present, else event_ts (UTC). KPI days are date(derived_ts).',
  level bigint COMMENT 'The level (1 is the first).',
  status string COMMENT 'start, complete or fail.',
  duration_s bigint COMMENT 'Seconds spent in the attempt (complete and fail).',
  score bigint COMMENT 'Score of the attempt.',
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
  session_id string COMMENT 'The play session the event belongs to (client-assigned); events without one are sessionized by the models (30-minute inactivity gap).',
  sent_at timestamp COMMENT 'RFC 3339 time on the device clock when the event was sent; with received_at it corrects device clock skew (derived_ts).',
  platform string COMMENT 'The client platform: ios, android, web or other.',
  app_version string COMMENT 'Version of the game client that sent the event.',
  derived_ts timestamp COMMENT 'event_ts corrected for device clock skew: event_ts + (received_at - sent_at) when sent_at is present, else event_ts (UTC). KPI days are date(derived_ts).',
  weapon_type string COMMENT 'Kind of weapon bought, e.g. sword.',
  gold_cost bigint COMMENT 'Gold paid for the weapon.',
  damage bigint COMMENT 'Damage rating of the weapon.',
  kafka_partition int COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp COMMENT 'Time the streaming writer committed the row (UTC).'
) USING iceberg
PARTITIONED BY (days(event_ts))
TBLPROPERTIES ('format-version'='2', 'write.format.default'='parquet', 'write.parquet.compression-codec'='zstd', 'write.metadata.delete-after-commit.enabled'='true', 'write.metadata.previous-versions-max'='50', 'commit.retry.num-retries'='10');

CREATE TABLE IF NOT EXISTS lake.game.session_end (
  event_id string COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type string COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id string COMMENT 'The player who performed the action.',
  event_ts timestamp COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the event (UTC).',
  host string COMMENT 'Host header of the request (the player\'s network in the seed data).',
  user_agent string COMMENT 'User-Agent header of the request.',
  schema_version string COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  session_id string COMMENT 'The play session the event belongs to (client-assigned); events without one are sessionized by the models (30-minute inactivity gap).',
  sent_at timestamp COMMENT 'RFC 3339 time on the device clock when the event was sent; with received_at it corrects device clock skew (derived_ts).',
  platform string COMMENT 'The client platform: ios, android, web or other.',
  app_version string COMMENT 'Version of the game client that sent the event.',
  derived_ts timestamp COMMENT 'event_ts corrected for device clock skew: event_ts + (received_at - sent_at) when sent_at is present, else event_ts (UTC). KPI days are date(derived_ts).',
  duration_s bigint COMMENT 'Length of the session in seconds, as the client measured it.',
  kafka_partition int COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp COMMENT 'Time the streaming writer committed the row (UTC).'
) USING iceberg
PARTITIONED BY (days(event_ts))
TBLPROPERTIES ('format-version'='2', 'write.format.default'='parquet', 'write.parquet.compression-codec'='zstd', 'write.metadata.delete-after-commit.enabled'='true', 'write.metadata.previous-versions-max'='50', 'commit.retry.num-retries'='10');

CREATE TABLE IF NOT EXISTS lake.game.session_start (
  event_id string COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type string COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id string COMMENT 'The player who performed the action.',
  event_ts timestamp COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp COMMENT 'RFC 3339 time the API received the event (UTC).',
  host string COMMENT 'Host header of the request (the player\'s network in the seed data).',
  user_agent string COMMENT 'User-Agent header of the request.',
  schema_version string COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  session_id string COMMENT 'The play session the event belongs to (client-assigned); events without one are sessionized by the models (30-minute inactivity gap).',
  sent_at timestamp COMMENT 'RFC 3339 time on the device clock when the event was sent; with received_at it corrects device clock skew (derived_ts).',
  platform string COMMENT 'The client platform: ios, android, web or other.',
  app_version string COMMENT 'Version of the game client that sent the event.',
  derived_ts timestamp COMMENT 'event_ts corrected for device clock skew: event_ts + (received_at - sent_at) when sent_at is present, else event_ts (UTC). KPI days are date(derived_ts).',
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
