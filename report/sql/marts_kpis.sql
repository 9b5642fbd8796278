-- what are the headline game kpis (players, dau, payers, sessions, d1/d7 retention) over the marts?
with days as (
    select
        count(*) as days,
        avg(dau) as avg_dau,
        sum(new_players) as players,
        sum(payers) as payer_days,
        sum(iap_purchases) as purchases,
        sum(sessions) as sessions,
        sum(avg_session_s * sessions) / nullif(sum(sessions), 0) as avg_session_s
    from lake.marts.kpi_daily
),

payers as (
    select count(distinct user_id) as payers from lake.marts.player_daily where iap_purchases > 0
),

kept as (
    select
        sum(retained) filter (where day_offset = 1) * 1.0 / nullif(sum(cohort_size) filter (where day_offset = 1), 0) as d1,
        sum(retained) filter (where day_offset = 7) * 1.0 / nullif(sum(cohort_size) filter (where day_offset = 7), 0) as d7
    from lake.marts.retention
)

select d.days, d.players, d.avg_dau, p.payers, d.purchases, d.sessions, d.avg_session_s, k.d1, k.d7
from days as d cross join payers as p cross join kept as k
