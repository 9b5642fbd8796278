-- The day's headline figures. A new player is one whose first day over all events is that day; the
-- others active that day are returning. avg_session_s: mean duration of the sessions started that day.
select
    p.day,
    count(*) as dau,
    count_if(f.first_day = p.day) as new_players,
    count_if(f.first_day < p.day) as returning_players,
    count_if(p.iap_purchases > 0) as payers,
    sum(p.iap_purchases) as iap_purchases,
    sum(p.sessions) as sessions,
    cast(sum(p.session_s) as double) / nullif(sum(p.sessions), 0) as avg_session_s
from {{ ref('player_daily') }} as p
join {{ ref('first_seen') }} as f on f.user_id = p.user_id
group by p.day
