-- Per level: attempts started, completed and failed, the players who tried it, and the exact median
-- duration of the completed attempts (the mean of the two middle values when their count is even).
with attempts as (
    select * from {{ ref('stg_level_progress') }}
),

completes as (
    select
        level,
        duration_s,
        row_number() over (partition by level order by duration_s) as rn,
        count(*) over (partition by level) as n
    from attempts
    where status = 'complete' and duration_s is not null
),

medians as (
    select level, avg(cast(duration_s as double)) as median_duration_s
    from completes
    where rn in ((n + 1) / 2, (n + 2) / 2)
    group by level
)

select
    a.level,
    count_if(a.status = 'start') as starts,
    count_if(a.status = 'complete') as completes,
    count_if(a.status = 'fail') as fails,
    count(distinct a.user_id) as players,
    m.median_duration_s
from attempts as a
left join medians as m on m.level = a.level
group by a.level, m.median_duration_s
