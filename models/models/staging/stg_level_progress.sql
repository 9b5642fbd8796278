-- level_progress events with the skew-corrected time and its UTC day.
select
    event_id,
    user_id,
    session_id,
    coalesce(derived_ts, event_ts) as derived_ts,
    cast(coalesce(derived_ts, event_ts) at time zone 'UTC' as date) as day,
    level, status, duration_s, score,
    landed_at
from {{ source('game', 'level_progress') }}
where {{ user_scope() }}
