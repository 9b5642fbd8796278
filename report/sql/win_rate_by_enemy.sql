-- how often do players win, overall and against each enemy?
with battles as (
    select enemy, outcome from lake.game.enter_battle
)

select
    enemy,
    count(*) as battles,
    count_if(outcome = 'won') as wins,
    count_if(outcome = 'lost') as losses,
    round(cast(count_if(outcome = 'won') as double) / count(*), 4) as win_rate
from battles
group by enemy
order by battles desc
