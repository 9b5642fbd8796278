-- which weapons are bought most, and how much gold goes to each weapon type?
with purchases as (
    select weapon_type, gold_cost from lake.game.purchase_weapon
)

select
    weapon_type,
    count(*) as purchases,
    sum(gold_cost) as gold_spent,
    round(avg(gold_cost), 1) as avg_price
from purchases
group by weapon_type
order by gold_spent desc
