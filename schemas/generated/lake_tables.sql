-- generated from schemas/ by `make generate` (python -m questlog_core.codegen); do not edit

CREATE TABLE IF NOT EXISTS lake.game.enter_battle (
  event_id varchar COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type varchar COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id varchar COMMENT 'The player who performed the action.',
  event_ts timestamp(6) with time zone COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp(6) with time zone COMMENT 'RFC 3339 time the API received the event (UTC).',
  host varchar COMMENT 'Host header of the request (the player''s network in the seed data).',
  user_agent varchar COMMENT 'User-Agent header of the request.',
  schema_version varchar COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  enemy varchar COMMENT 'Enemy fought.',
  outcome varchar COMMENT 'Whether the player won or lost.',
  kafka_partition integer COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp(6) with time zone COMMENT 'Time the streaming writer committed the row (UTC).'
)
WITH (format = 'PARQUET', format_version = 2, partitioning = ARRAY['day(event_ts)']);

CREATE TABLE IF NOT EXISTS lake.game.join_guild (
  event_id varchar COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type varchar COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id varchar COMMENT 'The player who performed the action.',
  event_ts timestamp(6) with time zone COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp(6) with time zone COMMENT 'RFC 3339 time the API received the event (UTC).',
  host varchar COMMENT 'Host header of the request (the player''s network in the seed data).',
  user_agent varchar COMMENT 'User-Agent header of the request.',
  schema_version varchar COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  guild_name varchar COMMENT 'Name of the guild joined.',
  special_power varchar COMMENT 'Special power the guild grants.',
  kafka_partition integer COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp(6) with time zone COMMENT 'Time the streaming writer committed the row (UTC).'
)
WITH (format = 'PARQUET', format_version = 2, partitioning = ARRAY['day(event_ts)']);

CREATE TABLE IF NOT EXISTS lake.game.purchase_weapon (
  event_id varchar COMMENT 'Unique id of the event (UUID); the client may send one so retries are deduplicated, otherwise the server assigns one.',
  event_type varchar COMMENT 'Name of the event schema, e.g. purchase_weapon.',
  user_id varchar COMMENT 'The player who performed the action.',
  event_ts timestamp(6) with time zone COMMENT 'RFC 3339 time the action happened on the device; defaults to the receive time.',
  received_at timestamp(6) with time zone COMMENT 'RFC 3339 time the API received the event (UTC).',
  host varchar COMMENT 'Host header of the request (the player''s network in the seed data).',
  user_agent varchar COMMENT 'User-Agent header of the request.',
  schema_version varchar COMMENT 'SchemaVer (model-revision-addition) of the schema the event was validated against.',
  weapon_type varchar COMMENT 'Kind of weapon bought, e.g. sword.',
  gold_cost bigint COMMENT 'Gold paid for the weapon.',
  damage bigint COMMENT 'Damage rating of the weapon.',
  kafka_partition integer COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp(6) with time zone COMMENT 'Time the streaming writer committed the row (UTC).'
)
WITH (format = 'PARQUET', format_version = 2, partitioning = ARRAY['day(event_ts)']);

CREATE TABLE IF NOT EXISTS lake.game.bad_events (
  dlq_id varchar COMMENT 'Unique id of the dead-letter record.',
  reason varchar COMMENT 'Why the input was rejected, naming the field.',
  field varchar COMMENT 'The offending field (JSON path), when there is one.',
  event_type varchar COMMENT 'Event type the input claimed, when readable.',
  event_id varchar COMMENT 'Event id the input carried, when readable.',
  user_id varchar COMMENT 'User id the input carried, when readable.',
  raw varchar COMMENT 'The rejected input as received (truncated).',
  raw_truncated boolean COMMENT 'Whether raw was cut to the size limit.',
  received_at timestamp(6) with time zone COMMENT 'RFC 3339 time the API received the input (UTC).',
  host varchar COMMENT 'Host header of the request.',
  user_agent varchar COMMENT 'User-Agent header of the request.',
  endpoint varchar COMMENT 'Request path that received the input.',
  kafka_partition integer COMMENT 'Kafka partition the record was read from.',
  kafka_offset bigint COMMENT 'Kafka offset of the record.',
  landed_at timestamp(6) with time zone COMMENT 'Time the streaming writer committed the row (UTC).'
)
WITH (format = 'PARQUET', format_version = 2, partitioning = ARRAY['day(received_at)']);
