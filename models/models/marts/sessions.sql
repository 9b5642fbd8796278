-- One row per (user_id, session_id). Events that carry a session_id form that session; the others are
-- sessionized per player: a new session after more than var('session_gap_minutes') without an event
-- (on derived_ts), numbered auto-1, auto-2, ... in time order. duration_s is the client's session_end
-- duration when there is one, else the time from the first to the last event.
-- Incremental: rebuilds every session of the players with newly landed events (delete+insert on user_id).
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='user_id') }}

with changed as ({{ changed_players(ref('stg_events')) }}),

events as (
    select * from {{ ref('stg_events') }}
    where user_id in (select user_id from changed)
),

ends as (
    select user_id, session_id, max(duration_s) as duration_s
    from {{ ref('stg_session_ends') }}
    where user_id in (select user_id from changed)
    group by user_id, session_id
),

named as (
    select
        user_id,
        session_id,
        min(derived_ts) as started_at,
        max(derived_ts) as ended_at,
        count(*) as events,
        min_by(platform, derived_ts) filter (where platform is not null) as platform,
        max(landed_at) as last_landed_at
    from events
    where session_id is not null
    group by user_id, session_id
),

gaps as (
    select
        *,
        case
            when lag(derived_ts) over (partition by user_id order by derived_ts, event_id) is null then 1
            when derived_ts > lag(derived_ts) over (partition by user_id order by derived_ts, event_id)
                + interval '{{ var("session_gap_minutes") }}' minute then 1
            else 0
        end as starts_session
    from events
    where session_id is null
),

numbered as (
    select
        *,
        sum(starts_session) over (
            partition by user_id order by derived_ts, event_id rows between unbounded preceding and current row
        ) as n
    from gaps
),

gap_sessions as (
    select
        user_id,
        'auto-' || cast(n as varchar) as session_id,
        min(derived_ts) as started_at,
        max(derived_ts) as ended_at,
        count(*) as events,
        min_by(platform, derived_ts) filter (where platform is not null) as platform,
        max(landed_at) as last_landed_at
    from numbered
    group by user_id, n
)

select
    s.user_id,
    s.session_id,
    s.started_at,
    s.ended_at,
    coalesce(e.duration_s, date_diff('second', s.started_at, s.ended_at)) as duration_s,
    s.events,
    s.platform,
    s.last_landed_at
from named as s
left join ends as e on e.user_id = s.user_id and e.session_id = s.session_id
union all
select
    user_id,
    session_id,
    started_at,
    ended_at,
    date_diff('second', started_at, ended_at) as duration_s,
    events,
    platform,
    last_landed_at
from gap_sessions
