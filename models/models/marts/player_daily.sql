-- One row per player and UTC day (of derived_ts) with any event. sessions and session_s count the
-- sessions that started that day; gold_spent is the gold paid for weapons (purchase_weapon.gold_cost);
-- iap_cents_by_currency maps each currency paid in that day to the cents paid (ISO 4217 code -> cents).
-- Incremental: rebuilds every day of the players with newly landed events (delete+insert on user_id).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='user_id') }}
{% set of_changed = 'user_id in (select user_id from changed)' %}

with changed as ({{ changed_players(ref('stg_events')) }}),

days as (
    select user_id, day, count(*) as events, max(landed_at) as last_landed_at
    from {{ ref('stg_events') }}
    where {{ of_changed }}
    group by user_id, day
),

sessions as (
    select user_id, {{ utc_day('started_at') }} as day, count(*) as sessions, sum(duration_s) as session_s
    from {{ ref('sessions') }}
    where {{ of_changed }}
    group by 1, 2
),

battles as (
    select user_id, day, count(*) as battles, count_if(outcome = 'won') as battles_won
    from {{ ref('stg_battles') }}
    where {{ of_changed }}
    group by 1, 2
),

gold as (
    select user_id, day, sum(gold_cost) as gold_spent
    from {{ ref('stg_weapon_purchases') }}
    where {{ of_changed }}
    group by 1, 2
),

iap_currency as (
    select user_id, day, currency, count(*) as purchases, sum(price_cents) as cents
    from {{ ref('stg_iap_purchases') }}
    where {{ of_changed }}
    group by 1, 2, 3
),

iap as (
    select user_id, day, sum(purchases) as iap_purchases, map_agg(currency, cents) as iap_cents_by_currency
    from iap_currency
    group by 1, 2
),

levels as (
    select user_id, day, count_if(status = 'complete') as levels_completed
    from {{ ref('stg_level_progress') }}
    where {{ of_changed }}
    group by 1, 2
)

select
    d.day,
    d.user_id,
    d.events,
    coalesce(s.sessions, 0) as sessions,
    coalesce(s.session_s, 0) as session_s,
    coalesce(b.battles, 0) as battles,
    coalesce(b.battles_won, 0) as battles_won,
    coalesce(g.gold_spent, 0) as gold_spent,
    coalesce(i.iap_purchases, 0) as iap_purchases,
    coalesce(i.iap_cents_by_currency, cast(map() as map(varchar, bigint))) as iap_cents_by_currency,
    coalesce(l.levels_completed, 0) as levels_completed,
    d.last_landed_at
from days as d
left join sessions as s on s.user_id = d.user_id and s.day = d.day
left join battles as b on b.user_id = d.user_id and b.day = d.day
left join gold as g on g.user_id = d.user_id and g.day = d.day
left join iap as i on i.user_id = d.user_id and i.day = d.day
left join levels as l on l.user_id = d.user_id and l.day = d.day
