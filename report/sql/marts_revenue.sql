-- how much real money comes in each day, per currency, and what are arpdau and arppu?
select cast(day as varchar) as day, currency, purchases, payers, revenue_cents, arpdau_cents, arppu_cents
from lake.marts.revenue_daily
order by day, currency
