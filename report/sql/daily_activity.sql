-- how many players are active each day (UTC), and how many events do they produce?
with events as (
    select user_id, event_ts from lake.game.purchase_weapon
    union all
    select user_id, event_ts from lake.game.join_guild
    union all
    select user_id, event_ts from lake.game.enter_battle
)

select
    cast(date(event_ts) as varchar) as day,
    count(distinct user_id) as active_players,
    count(*) as events
from events
group by date(event_ts)
order by day
