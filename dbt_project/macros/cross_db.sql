{#
  Cross-database SQL: the few places where DuckDB (target dev) and PostgreSQL (target shared,
  docs/scale.md) have no common spelling. Each macro dispatches on the adapter
  (adapter.dispatch, project namespace): the duckdb__ form is what the models always said, so a
  DuckDB build renders the SQL it rendered before the port; the default__ form is standard SQL /
  PostgreSQL. No dbt_utils (nothing is downloaded): these are the project's own.
#}

{# A 64-bit float column type. dbt.type_float() renders `float` on dbt-duckdb, a 4-byte FLOAT there. #}
{% macro type_double() %}{{ return(adapter.dispatch('type_double')()) }}{% endmacro %}
{% macro duckdb__type_double() %}double{% endmacro %}
{% macro default__type_double() %}double precision{% endmacro %}

{# The median of an aggregate group, interpolated between the two middle values (continuous). #}
{% macro median_of(expression) %}{{ return(adapter.dispatch('median_of')(expression)) }}{% endmacro %}
{% macro duckdb__median_of(expression) %}median({{ expression }}){% endmacro %}
{% macro default__median_of(expression) %}percentile_cont(0.5) within group (order by {{ expression }}){% endmacro %}

{# The value of `value` on the row of the group with the largest `key` (keys unique in the group). #}
{% macro arg_max_of(value, key) %}{{ return(adapter.dispatch('arg_max_of')(value, key)) }}{% endmacro %}
{% macro duckdb__arg_max_of(value, key) %}arg_max({{ value }}, {{ key }}){% endmacro %}
{% macro default__arg_max_of(value, key) %}(array_agg({{ value }} order by {{ key }} desc nulls last))[1]{% endmacro %}

{# Any value of the group (used where every row of the group has the same value). #}
{% macro any_value_of(expression) %}{{ return(adapter.dispatch('any_value_of')(expression)) }}{% endmacro %}
{% macro duckdb__any_value_of(expression) %}any_value({{ expression }}){% endmacro %}
{% macro default__any_value_of(expression) %}min({{ expression }}){% endmacro %}

{#
  Sample skewness and excess kurtosis of an aggregate group, as DuckDB's skewness() and
  kurtosis() give them (Excel / e1071 type 2). Elsewhere from exact power sums: the values as
  numeric, so the central moments lose nothing to cancellation (in double they would be off by
  ~1e-9 for values far from zero with a small spread); with n values and S_k = Σ x^k,
    N2 = n S2 − S1²,  N3 = n² S3 − 3 n S1 S2 + 2 S1³,  N4 = n³ S4 − 4 n² S1 S3 + 6 n S1² S2 − 3 S1⁴
    skewness = sqrt(n (n − 1)) / (n − 2) · N3 / N2^1.5                      (n > 2)
    kurtosis = (n − 1) ((n + 1) N4 / N2² − 3 (n − 1)) / ((n − 2) (n − 3))     (n > 3)
  both null when the values do not vary (N2 = 0), as in DuckDB.
#}
{% macro skewness_of(x) %}{{ return(adapter.dispatch('skewness_of')(x)) }}{% endmacro %}
{% macro duckdb__skewness_of(x) %}skewness({{ x }}){% endmacro %}
{% macro default__skewness_of(x) -%}
    {#- numeric products and sums are exact (power() on numeric rounds); only the last steps are in double -#}
    {%- set v = 'cast(' ~ x ~ ' as numeric)' -%}
    {%- set n = 'cast(count(' ~ x ~ ') as numeric)' -%}
    {%- set s1, s2, s3 = 'sum(' ~ v ~ ')', 'sum(' ~ v ~ ' * ' ~ v ~ ')', 'sum(' ~ v ~ ' * ' ~ v ~ ' * ' ~ v ~ ')' -%}
    {%- set n2 = '(' ~ n ~ ' * ' ~ s2 ~ ' - ' ~ s1 ~ ' * ' ~ s1 ~ ')' -%}
    (case when count({{ x }}) > 2 and {{ n2 }} > 0 then
        sqrt(cast(count({{ x }}) as {{ type_double() }}) * (count({{ x }}) - 1)) / (count({{ x }}) - 2)
        * cast({{ n }} * {{ n }} * {{ s3 }} - 3 * {{ n }} * {{ s1 }} * {{ s2 }} + 2 * {{ s1 }} * {{ s1 }} * {{ s1 }} as {{ type_double() }})
        / power(cast({{ n2 }} as {{ type_double() }}), 1.5)
    end)
{%- endmacro %}

{% macro kurtosis_of(x) %}{{ return(adapter.dispatch('kurtosis_of')(x)) }}{% endmacro %}
{% macro duckdb__kurtosis_of(x) %}kurtosis({{ x }}){% endmacro %}
{% macro default__kurtosis_of(x) -%}
    {%- set v = 'cast(' ~ x ~ ' as numeric)' -%}
    {%- set n = 'cast(count(' ~ x ~ ') as numeric)' -%}
    {%- set s1, s2 = 'sum(' ~ v ~ ')', 'sum(' ~ v ~ ' * ' ~ v ~ ')' -%}
    {%- set s3, s4 = 'sum(' ~ v ~ ' * ' ~ v ~ ' * ' ~ v ~ ')', 'sum(' ~ v ~ ' * ' ~ v ~ ' * ' ~ v ~ ' * ' ~ v ~ ')' -%}
    {%- set n2 = '(' ~ n ~ ' * ' ~ s2 ~ ' - ' ~ s1 ~ ' * ' ~ s1 ~ ')' -%}
    (case when count({{ x }}) > 3 and {{ n2 }} > 0 then
        (cast(count({{ x }}) as {{ type_double() }}) - 1) * ((count({{ x }}) + 1)
            * cast({{ n }} * {{ n }} * {{ n }} * {{ s4 }} - 4 * {{ n }} * {{ n }} * {{ s1 }} * {{ s3 }}
                   + 6 * {{ n }} * {{ s1 }} * {{ s1 }} * {{ s2 }} - 3 * {{ s1 }} * {{ s1 }} * {{ s1 }} * {{ s1 }} as {{ type_double() }})
            / power(cast({{ n2 }} as {{ type_double() }}), 2)
            - 3 * (count({{ x }}) - 1))
        / ((count({{ x }}) - 2) * (count({{ x }}) - 3))
    end)
{%- endmacro %}

{# True when a float is NaN. #}
{% macro is_nan(x) %}{{ return(adapter.dispatch('is_nan')(x)) }}{% endmacro %}
{% macro duckdb__is_nan(x) %}isnan({{ x }}){% endmacro %}
{% macro default__is_nan(x) %}({{ x }} = cast('NaN' as {{ type_double() }})){% endmacro %}

{# True when `value` is one of the items of the delimited text `items` (e.g. 'a;b;c'). #}
{% macro delimited_contains(items, delimiter, value) %}{{ return(adapter.dispatch('delimited_contains')(items, delimiter, value)) }}{% endmacro %}
{% macro duckdb__delimited_contains(items, delimiter, value) %}list_contains(string_split({{ items }}, {{ delimiter }}), {{ value }}){% endmacro %}
{% macro default__delimited_contains(items, delimiter, value) %}({{ value }} = any(string_to_array({{ items }}, {{ delimiter }}))){% endmacro %}

{#
  round(x, digits) half away from zero, as a float. PostgreSQL has round(double precision) only
  without digits (and it rounds half to even): it rounds the numeric value there.
#}
{% macro round_to(x, digits=none) %}{{ return(adapter.dispatch('round_to')(x, digits)) }}{% endmacro %}
{% macro duckdb__round_to(x, digits) %}round({{ x }}{% if digits is not none %}, {{ digits }}{% endif %}){% endmacro %}
{% macro default__round_to(x, digits) %}cast(round(cast({{ x }} as numeric){% if digits is not none %}, {{ digits }}{% endif %}) as {{ type_double() }}){% endmacro %}

{#
  A float as text, as DuckDB writes it: the shortest text that reads back as the same number, and
  a whole number with '.0' (PostgreSQL writes the same shortest digits, without the '.0').
#}
{% macro float_text(x) %}{{ return(adapter.dispatch('float_text')(x)) }}{% endmacro %}
{% macro duckdb__float_text(x) %}cast({{ x }} as varchar){% endmacro %}
{% macro default__float_text(x) -%}
    (case when cast({{ x }} as text) ~ '^-?[0-9]+$' then cast({{ x }} as text) || '.0' else cast({{ x }} as text) end)
{%- endmacro %}
