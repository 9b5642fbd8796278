-- how many players are active each day (UTC), and how many events do they produce?
select
    cast(date(event_ts) as varchar) as day,
    count(distinct user_id) as active_players,
    count(*) as events
from lake.game.all_events
group by date(event_ts)
order by day
