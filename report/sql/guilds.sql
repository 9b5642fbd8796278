-- which guilds and special powers attract players?
with joins as (
    select guild_name, coalesce(special_power, '(none)') as special_power, user_id
    from lake.game.join_guild
)

select
    guild_name,
    special_power,
    count(*) as joins,
    count(distinct user_id) as players
from joins
group by guild_name, special_power
order by joins desc
limit 20
