-- which levels are hardest (highest share of failed attempts), and how long do players take?
select
    level,
    starts,
    completes,
    fails,
    players,
    fails * 1.0 / nullif(completes + fails, 0) as fail_rate,
    median_duration_s
from lake.marts.progression
-- Levels with at least 10 finished attempts: a rate over a handful of attempts says little.
where completes + fails >= 10
order by fail_rate desc, level
limit 10
