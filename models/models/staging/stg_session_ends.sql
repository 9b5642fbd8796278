-- session_end events with the skew-corrected time and its UTC day.
select
    event_id,
    user_id,
    session_id,
    coalesce(derived_ts, event_ts) as derived_ts,
    cast(coalesce(derived_ts, event_ts) at time zone 'UTC' as date) as day,
    duration_s,
    landed_at
from {{ source('game', 'session_end') }}
where {{ user_scope() }}
