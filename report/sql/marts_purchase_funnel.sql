-- how many players get from a first session to a completed level, a battle won and a first purchase?
with players as (
    select
        user_id,
        sum(sessions) > 0 as played,
        sum(levels_completed) > 0 as completed,
        sum(battles_won) > 0 as won,
        sum(iap_purchases) > 0 as paid
    from lake.marts.player_daily
    group by user_id
)

select
    count(*) as players,
    count_if(played) as played_a_session,
    count_if(played and completed) as completed_a_level,
    count_if(played and completed and won) as won_a_battle,
    count_if(paid) as made_a_purchase
from players
