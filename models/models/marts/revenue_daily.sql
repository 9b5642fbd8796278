-- Real-money revenue per UTC day and currency (never summed across currencies), one purchase per
-- transaction_id. arpdau_cents: revenue over the day's active players (all of them, payers or not);
-- arppu_cents: revenue over the players who paid in that currency that day.
with revenue as (
    select day, currency, count(*) as purchases, count(distinct user_id) as payers, sum(price_cents) as revenue_cents
    from {{ ref('stg_iap_purchases') }}
    group by day, currency
)

select
    r.day,
    r.currency,
    r.purchases,
    r.payers,
    r.revenue_cents,
    cast(r.revenue_cents as double) / k.dau as arpdau_cents,
    cast(r.revenue_cents as double) / r.payers as arppu_cents
from revenue as r
join {{ ref('kpi_daily') }} as k on k.day = r.day
