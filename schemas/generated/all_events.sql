-- generated from schemas/ by `make generate` (tools/generate.py); do not edit
CREATE OR REPLACE VIEW lake.game.all_events
SECURITY INVOKER AS
SELECT 'enter_battle' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, kafka_partition, kafka_offset, landed_at FROM lake.game.enter_battle
UNION ALL
SELECT 'join_guild' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, kafka_partition, kafka_offset, landed_at FROM lake.game.join_guild
UNION ALL
SELECT 'purchase_weapon' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, kafka_partition, kafka_offset, landed_at FROM lake.game.purchase_weapon;
