-- In-game economy per UTC day, currency and reason: source_amount sums the gains (amount > 0),
-- sink_amount the spending as a positive number (-amount for amount < 0).
select
    day,
    currency_name,
    reason,
    coalesce(sum(amount) filter (where amount > 0), 0) as source_amount,
    coalesce(-sum(amount) filter (where amount < 0), 0) as sink_amount,
    count(distinct user_id) as players
from {{ ref('stg_currency_changes') }}
group by day, currency_name, reason
