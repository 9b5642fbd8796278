-- Every event of every event table (generated sources: lake.game, from schemas/), one row per event_id
-- (the stream deduplicates), with the skew-corrected time and its UTC day. Rows landed before envelope
-- 1-1-0 have no derived_ts: their event_ts stands in.
{% set tables = [] %}
{% for node in graph.sources.values() if node.source_name == 'game' and node.config.meta.get('event_type') %}
  {% do tables.append(node.name) %}
{% endfor %}
{% for table in tables | sort %}
select
    event_id,
    event_type,
    user_id,
    {{ event_time() }} as derived_ts,
    {{ utc_day(event_time()) }} as day,
    session_id,
    platform,
    landed_at
from {{ source('game', table) }}
where {{ user_scope() }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
