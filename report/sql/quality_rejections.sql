-- why was input rejected, and how often?
with bad as (
    select coalesce(field, '(body)') as field, reason from lake.game.bad_events
)

select
    field,
    min(reason) as example_reason,
    count(*) as rejected
from bad
group by field
order by rejected desc
limit 15
