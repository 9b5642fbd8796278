-- of the players first seen on each day, how many come back on later days?
with activity as (
    select distinct user_id, date(event_ts) as day from lake.game.all_events
),

cohorts as (
    select user_id, min(day) as first_day from activity group by user_id
)

select
    cast(c.first_day as varchar) as cohort,
    date_diff('day', c.first_day, a.day) as day_offset,
    count(distinct a.user_id) as players
from cohorts as c
join activity as a on a.user_id = c.user_id
group by c.first_day, date_diff('day', c.first_day, a.day)
order by cohort, day_offset
