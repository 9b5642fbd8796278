-- of the players first seen on a day, what share is back after 1, 7 and 30 days (over all cohorts)?
select
    day_offset,
    count(*) as cohorts,
    sum(cohort_size) as players,
    sum(retained) as retained,
    sum(retained) * 1.0 / sum(cohort_size) as rate
from lake.marts.retention
group by day_offset
order by day_offset
