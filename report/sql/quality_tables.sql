-- how many events does each table hold, how many arrived late, and how fresh is the lake?
select
    table_name,
    count(*) as events,
    count_if(received_at - event_ts > interval '1' hour) as late_events,
    round(cast(count_if(received_at - event_ts > interval '1' hour) as double) / count(*), 4) as late_share,
    round(approx_percentile(to_milliseconds(landed_at - received_at), 0.5) / 1000.0, 2) as p50_landing_s,
    round(approx_percentile(to_milliseconds(landed_at - received_at), 0.95) / 1000.0, 2) as p95_landing_s
from lake.game.all_events
group by table_name
order by table_name
