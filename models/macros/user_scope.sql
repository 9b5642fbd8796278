{# The players a run covers: every player, or those whose user_id starts with var('user_prefix'). #}
{% macro user_scope(column='user_id') -%}
  {%- set prefix = var('user_prefix') -%}
  {%- if prefix -%}
    {%- if not modules.re.fullmatch('[A-Za-z0-9_.:-]+', prefix) -%}
      {{ exceptions.raise_compiler_error("user_prefix may only hold letters, digits and _.:-, got " ~ prefix) }}
    {%- endif -%}
    {{ column }} like '{{ prefix }}%'
  {%- else -%}
    true
  {%- endif -%}
{%- endmacro %}

{# Players with events that landed since the newest row `this` holds (minus the lookback): the players an
   incremental model rebuilds. On a first run (or a full refresh) every player in scope. #}
{% macro changed_players(events) -%}
  select distinct user_id from {{ events }}
  {% if is_incremental() -%}
  where landed_at >= (
    select coalesce(max(last_landed_at), timestamp '1970-01-01 00:00:00 UTC') from {{ this }}
  ) - interval '{{ var("landed_lookback_minutes") }}' minute
  {%- endif %}
{%- endmacro %}
