-- how many players are active each day, and how many of them are new?
select cast(day as varchar) as day, dau, new_players, returning_players, payers, sessions
from lake.marts.kpi_daily
order by day
