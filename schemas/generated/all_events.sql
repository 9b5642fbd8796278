-- generated from schemas/ by `make generate` (tools/generate.py); do not edit
CREATE OR REPLACE VIEW lake.game.all_events
SECURITY INVOKER AS
SELECT 'currency_change' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, session_id, sent_at, platform, app_version, derived_ts, kafka_partition, kafka_offset, landed_at FROM lake.game.currency_change
UNION ALL
SELECT 'enter_battle' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, session_id, sent_at, platform, app_version, derived_ts, kafka_partition, kafka_offset, landed_at FROM lake.game.enter_battle
UNION ALL
SELECT 'iap_purchase' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, session_id, sent_at, platform, app_version, derived_ts, kafka_partition, kafka_offset, landed_at FROM lake.game.iap_purchase
UNION ALL
SELECT 'join_guild' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, session_id, sent_at, platform, app_version, derived_ts, kafka_partition, kafka_offset, landed_at FROM lake.game.join_guild
UNION ALL
SELECT 'level_progress' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, session_id, sent_at, platform, app_version, derived_ts, kafka_partition, kafka_offset, landed_at FROM lake.game.level_progress
UNION ALL
SELECT 'purchase_weapon' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, session_id, sent_at, platform, app_version, derived_ts, kafka_partition, kafka_offset, landed_at FROM lake.game.purchase_weapon
UNION ALL
SELECT 'session_end' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, session_id, sent_at, platform, app_version, derived_ts, kafka_partition, kafka_offset, landed_at FROM lake.game.session_end
UNION ALL
SELECT 'session_start' AS table_name, event_id, event_type, user_id, event_ts, received_at, host, user_agent, schema_version, session_id, sent_at, platform, app_version, derived_ts, kafka_partition, kafka_offset, landed_at FROM lake.game.session_start;
