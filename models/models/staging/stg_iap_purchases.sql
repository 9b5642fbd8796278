-- Real-money purchases, one per store transaction: a client that re-sends a purchase under a new
-- event_id still counts once (the first copy by skew-corrected time, then by event_id).
with purchases as (
    select
        event_id,
        user_id,
        session_id,
        {{ event_time() }} as derived_ts,
        platform,
        product_id,
        price_cents,
        currency,
        transaction_id,
        store,
        landed_at,
        row_number() over (
            partition by transaction_id order by {{ event_time() }}, event_id
        ) as copy
    from {{ source('game', 'iap_purchase') }}
    where {{ user_scope() }}
)
select
    event_id,
    user_id,
    session_id,
    derived_ts,
    {{ utc_day('derived_ts') }} as day,
    platform,
    product_id,
    price_cents,
    currency,
    transaction_id,
    store,
    landed_at
from purchases
where copy = 1
