-- where does each in-game currency come from and where does it go (sources vs sinks)?
select
    currency_name,
    reason,
    sum(source_amount) as source_amount,
    sum(sink_amount) as sink_amount,
    max(players) as peak_daily_players
from lake.marts.economy_daily
group by currency_name, reason
order by currency_name, source_amount desc, sink_amount desc
