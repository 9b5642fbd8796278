-- how does spending differ by the player's network (host domain)?
with purchases as (
    select
        coalesce(
            regexp_extract(split_part(host, ':', 1), '([^.]+\.[^.]+)$', 1),
            split_part(host, ':', 1)
        ) as host_domain,
        user_id,
        gold_cost
    from lake.game.purchase_weapon
)

select
    host_domain,
    count(distinct user_id) as buyers,
    count(*) as purchases,
    sum(gold_cost) as gold_spent,
    round(1.0 * sum(gold_cost) / count(distinct user_id), 1) as gold_per_buyer
from purchases
group by host_domain
order by gold_spent desc
limit 15
