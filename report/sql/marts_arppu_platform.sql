-- how much does a paying player spend, by platform and currency (arppu over the whole period)?
with platform as (
    select user_id, max_by(platform, events) as platform
    from lake.marts.sessions
    where platform is not null
    group by user_id
),

paid as (
    select p.user_id, t.currency, sum(t.cents) as cents
    from lake.marts.player_daily as p
    cross join unnest(p.iap_cents_by_currency) as t (currency, cents)
    group by p.user_id, t.currency
)

select
    coalesce(f.platform, 'unknown') as platform,
    paid.currency,
    count(*) as payers,
    sum(paid.cents) as revenue_cents,
    sum(paid.cents) * 1.0 / count(*) as arppu_cents
from paid
left join platform as f on f.user_id = paid.user_id
group by coalesce(f.platform, 'unknown'), paid.currency
order by arppu_cents desc
