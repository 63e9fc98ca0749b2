{# Fails with every group of `group_by` whose row count is not `expected`.
   With `units_in_scope: true` and a scope other than Shenzhen (env JCT_SCOPE, see
   reference/scope.py), `expected` is the number of units the scope scores (the rows of
   raw.street, which then holds the scope's units); the Shenzhen scope keeps `expected` (74). #}
{% test rows_per_group(model, group_by, expected, units_in_scope=false) %}
{%- set scope = env_var('JCT_SCOPE', 'shenzhen') | trim | lower -%}
{%- if units_in_scope and scope not in ('', 'shenzhen') -%}
    {%- set expected = "(select count(*) from " ~ source('raw', 'street') ~ ")" -%}
{%- endif %}
select {{ group_by }}, count(*) as n_rows
from {{ model }}
{#- a constant (e.g. 'all': the whole table) is no GROUP BY key on every engine: then the table is one group #}
{%- if not (group_by | string | trim).startswith("'") %}
group by {{ group_by }}
{%- endif %}
having count(*) <> {{ expected }}
{% endtest %}
