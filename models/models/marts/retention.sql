-- Dn retention for n in 1, 7, 30: of the players first seen on cohort_day, how many are active on
-- cohort_day + n. A row exists only once that day is in the data (no day later than the newest one
-- any player was active on), so an unobserved day never reads as 0 %.
with cohorts as (
    select first_day as cohort_day, count(*) as cohort_size
    from {{ ref('first_seen') }}
    group by first_day
),

offsets as (
    select day_offset from unnest(array[1, 7, 30]) as t (day_offset)
),

newest as (
    select max(day) as day from {{ ref('player_daily') }}
),

returned as (
    select f.first_day as cohort_day, date_diff('day', f.first_day, p.day) as day_offset, count(*) as retained
    from {{ ref('first_seen') }} as f
    join {{ ref('player_daily') }} as p on p.user_id = f.user_id
    where date_diff('day', f.first_day, p.day) in (1, 7, 30)
    group by 1, 2
)

select
    c.cohort_day,
    o.day_offset,
    c.cohort_size,
    coalesce(r.retained, 0) as retained,
    cast(coalesce(r.retained, 0) as double) / c.cohort_size as rate
from cohorts as c
cross join offsets as o
cross join newest as n
left join returned as r on r.cohort_day = c.cohort_day and r.day_offset = o.day_offset
where date_add('day', o.day_offset, c.cohort_day) <= n.day
