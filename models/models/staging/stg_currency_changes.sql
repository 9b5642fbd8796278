-- currency_change events with the skew-corrected time and its UTC day.
select
    event_id,
    user_id,
    session_id,
    coalesce(derived_ts, event_ts) as derived_ts,
    cast(coalesce(derived_ts, event_ts) at time zone 'UTC' as date) as day,
    currency_name, amount, reason, balance,
    landed_at
from {{ source('game', 'currency_change') }}
where {{ user_scope() }}
