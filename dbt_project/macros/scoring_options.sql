{#
  Scoring options: the method is configuration, passed as dbt vars and recorded with every result.
  The defaults live here, once; the numpy reference implementation
  (jinchengtuo.scoring.options.ScoringOptions) mirrors them and a test checks that they agree.

    dbt build --vars '{scoring_normalisation: minmax_year, scoring_weighting: entropy}'
#}

{% macro scoring_defaults() %}
    {{ return({
        'scoring_normalisation': 'goalposts',
        'scoring_weighting': 'expert',
        'scoring_aggregation': 'arithmetic',
        'goalpost_reference_years': [2019, 2020, 2021],
        'min_indicator_coverage': 0.65,
        'impute_max_gap_years': 2,
        'winsor_skew_threshold': 2.0,
        'winsor_kurtosis_threshold': 3.5,
        'winsor_max_points': 5,
    }) }}
{% endmacro %}

{% macro scoring_choices() %}
    {{ return({
        'scoring_normalisation': ['goalposts', 'minmax_year', 'zscore'],
        'scoring_weighting': ['expert', 'equal', 'entropy', 'critic'],
        'scoring_aggregation': ['arithmetic', 'geometric'],
    }) }}
{% endmacro %}

{# The value of one option: the dbt var if set, else the default; unknown choices fail the build. #}
{% macro scoring_option(name) %}
    {%- set defaults = scoring_defaults() -%}
    {%- if name not in defaults -%}
        {{ exceptions.raise_compiler_error("unknown scoring option '" ~ name ~ "'") }}
    {%- endif -%}
    {%- set value = var(name, defaults[name]) -%}
    {%- set choices = scoring_choices() -%}
    {%- if name in choices and value not in choices[name] -%}
        {{ exceptions.raise_compiler_error("scoring option " ~ name ~ "='" ~ value ~ "' is not one of " ~ choices[name] | join(', ')) }}
    {%- endif -%}
    {%- if name == 'goalpost_reference_years' -%}
        {%- if value is string or value is number -%}
            {%- set value = (value | string).split(',') | map('trim') | map('int') | list -%}
        {%- endif -%}
        {%- set value = value | map('int') | list -%}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{# One option's value as text, the same way Python's ScoringOptions.option_text formats it. #}
{% macro scoring_option_text(name) %}
    {%- set value = scoring_option(name) -%}
    {%- if value is string -%}
        {{ return(value) }}
    {%- elif value is number -%}
        {{ return("%g" | format(value)) }}
    {%- else -%}
        {%- set parts = [] -%}
        {%- for v in value -%}{%- do parts.append("%g" | format(v)) -%}{%- endfor -%}
        {{ return(parts | join('|')) }}
    {%- endif -%}
{% endmacro %}

{#
  The suffix that marks a non-default method: '' with every default, else
  '+' followed by name=value for every option that differs from its default.
#}
{% macro scoring_variant_suffix() %}
    {%- set defaults = scoring_defaults() -%}
    {%- set parts = [] -%}
    {%- for name in defaults.keys() | sort -%}
        {%- set text = scoring_option_text(name) -%}
        {%- set value = defaults[name] -%}
        {%- if value is string -%}{%- set default_text = value -%}
        {%- elif value is number -%}{%- set default_text = "%g" | format(value) -%}
        {%- else -%}{%- set ns = [] -%}{%- for v in value -%}{%- do ns.append("%g" | format(v)) -%}{%- endfor -%}{%- set default_text = ns | join('|') -%}
        {%- endif -%}
        {%- if text != default_text -%}{%- do parts.append(name ~ '=' ~ text) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(('+' ~ parts | join(',')) if parts else '') }}
{% endmacro %}

{# SQL expression: the methodology version of the results (framework version + variant suffix). #}
{% macro methodology_version_sql() %}
    (select max(methodology_version) from {{ ref('indicator_framework') }}) || '{{ scoring_variant_suffix() }}'
{% endmacro %}

{# The framework rows, read from the seed when the model runs (seeds build first). #}
{#
  True when the seed is in the warehouse. When it is not, building fails with a clear message;
  documentation and compilation (docs generate, compile) go on with the framework as empty.
#}
{% macro require_seed(name) %}
    {%- if load_relation(ref(name)) is not none -%}{{ return(true) }}{%- endif -%}
    {%- if flags.WHICH in ('generate', 'compile', 'parse', 'list', 'ls', 'show') -%}
        {{ log("framework seed '" ~ name ~ "' not loaded: compiling without it", info=true) }}
        {{ return(false) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("the framework seed '" ~ name ~ "' is not in the warehouse yet: run `dbt seed` (or `dbt build`, which loads seeds first)") }}
    {%- endif -%}
{% endmacro %}

{% macro framework_indicators(scored_only=false) %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- if not require_seed('indicator_framework') -%}{{ return([]) }}{%- endif -%}
    {%- set sql -%}
        select indicator_id, capacity, expression_sql, coalesce(denominator_sql, '') as denominator_sql,
               zero_denominator_rule, source_fields
        from {{ ref('indicator_framework') }}
        {% if scored_only %}where capacity <> 'CTX'{% endif %}
        order by sort_order
    {%- endset -%}
    {%- set result = run_query(sql) -%}
    {%- set rows = [] -%}
    {%- for r in result.rows -%}
        {%- do rows.append({
            'indicator_id': r[0], 'capacity': r[1], 'expression_sql': r[2], 'denominator_sql': r[3],
            'zero_denominator_rule': r[4], 'source_fields': r[5].split(';') | map('trim') | list}) -%}
    {%- endfor -%}
    {{ return(rows) }}
{% endmacro %}

{# The measure columns of a street-year: every field of the field catalog seed. #}
{% macro catalog_fields() %}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- if not require_seed('field_catalog') -%}{{ return([]) }}{%- endif -%}
    {%- set result = run_query("select field_id from " ~ ref('field_catalog') ~ " order by field_id") -%}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}

{#
  A coverage gate's threshold (dbt_project/seeds/coverage_gates.csv), as a SQL scalar subquery.
  The gates are framework data, not options: changing one is a seed edit and a new
  methodology_version.
#}
{% macro coverage_gate(gate_id) %}
    (select max(threshold) from {{ ref('coverage_gates') }} where gate_id = '{{ gate_id }}')
{% endmacro %}
