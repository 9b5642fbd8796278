-- enter_battle events with the skew-corrected time and its UTC day.
select
    event_id,
    user_id,
    session_id,
    coalesce(derived_ts, event_ts) as derived_ts,
    cast(coalesce(derived_ts, event_ts) at time zone 'UTC' as date) as day,
    enemy, outcome,
    landed_at
from {{ source('game', 'enter_battle') }}
where {{ user_scope() }}
