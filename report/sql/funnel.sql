-- how many players go from their first battle to joining a guild to buying a weapon?
with first_battle as (
    select user_id, min(event_ts) as at from lake.game.enter_battle group by user_id
),

first_guild as (
    select user_id, min(event_ts) as at from lake.game.join_guild group by user_id
),

first_purchase as (
    select user_id, min(event_ts) as at from lake.game.purchase_weapon group by user_id
)

select
    count(*) as battled,
    count(g.user_id) as then_joined_guild,
    count(p.user_id) as then_purchased
from first_battle as b
left join first_guild as g on g.user_id = b.user_id and g.at > b.at
left join first_purchase as p on p.user_id = g.user_id and p.at > g.at
