-- do guild members spend more and win more than other players?
with members as (
    select distinct user_id from lake.game.join_guild
),

players as (
    select distinct user_id from lake.game.all_events
),

spend as (
    select user_id, sum(gold_cost) as gold from lake.game.purchase_weapon group by user_id
),

battles as (
    select user_id, count(*) as fought, count_if(outcome = 'won') as won
    from lake.game.enter_battle group by user_id
)

select
    case when m.user_id is null then 'not in a guild' else 'guild member' end as segment,
    count(*) as players,
    round(1.0 * coalesce(sum(s.gold), 0) / count(*), 1) as gold_per_player,
    round(cast(sum(b.won) as double) / nullif(sum(b.fought), 0), 4) as win_rate
from players as p
left join members as m on m.user_id = p.user_id
left join spend as s on s.user_id = p.user_id
left join battles as b on b.user_id = p.user_id
group by 1
order by 1
