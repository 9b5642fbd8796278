{#- The skew-corrected time of an event: derived_ts, or event_ts for rows landed before envelope 1-1-0. -#}
{% macro event_time() -%}
coalesce(derived_ts, event_ts)
{%- endmacro %}

{#- The UTC day of an instant (KPI days are UTC days of derived_ts). -#}
{% macro utc_day(instant) -%}
cast({{ instant }} at time zone 'UTC' as date)
{%- endmacro %}

{#- One event table of lake.game in the run's scope: the envelope columns every staging model has, the
    skew-corrected time and its UTC day, then the event's own columns. -#}
{% macro staged_events(table, columns) -%}
select
    event_id,
    user_id,
    session_id,
    {{ event_time() }} as derived_ts,
    {{ utc_day(event_time()) }} as day,
    {{ columns | join(', ') }},
    landed_at
from {{ source('game', table) }}
where {{ user_scope() }}
{%- endmacro %}
