-- Each player's first UTC day (of derived_ts) over all events: the cohort a player belongs to.
select user_id, min(day) as first_day
from {{ ref('player_daily') }}
group by user_id
