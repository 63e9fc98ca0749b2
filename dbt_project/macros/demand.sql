{#
  The demand measures of the demand framework seed (dbt_project/seeds/demand_framework.csv), in
  sort order: measure_id, expression_sql (over the columns of int_street_year__demand_inputs),
  transform, weight, required, context_inputs.
#}
{% macro demand_measures() %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- if not require_seed('demand_framework') -%}{{ return([]) }}{%- endif -%}
    {%- set result = run_query("select measure_id, expression_sql, transform, weight, required, context_inputs from " ~ ref('demand_framework') ~ " order by sort_order") -%}
    {%- set rows = [] -%}
    {%- for r in result.rows -%}
        {%- do rows.append({'measure_id': r[0], 'expression_sql': r[1], 'transform': r[2],
                            'weight': r[3], 'required': r[4], 'context_inputs': r[5].split(';') | map('trim') | list}) -%}
    {%- endfor -%}
    {{ return(rows) }}
{% endmacro %}

{# A parameter of the demand model seed (dbt_project/seeds/demand_model.csv) as a SQL scalar. #}
{% macro demand_parameter(name) %}
    (select max(value) from {{ ref('demand_model') }} where parameter = '{{ name }}')
{% endmacro %}
