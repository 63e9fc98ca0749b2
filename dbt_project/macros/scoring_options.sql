{#
  Scoring options: the method is configuration, passed as dbt vars and recorded with every result
  (marts.dim_methodology). Every option (its step, dbt var, type, default, allowed values or range
  and description) is declared once, in the seed dbt_project/seeds/scoring_options.csv; these
  macros read it when a model runs, and the Python scorer (jinchengtuo.scoring.options) reads the
  same file. A value that cannot be applied fails the build naming the option and why.

    dbt build --vars '{scoring_normalisation: minmax_year, scoring_weighting: entropy}'
#}

{# dbt vars that are not scoring options: the project vars of dbt_project.yml (a test checks the list). #}
{% macro project_vars() %}
    {{ return(['census_year', 'survey_fpc', 'two_way_blend_weight', 'two_way_min_gap_sd']) }}
{% endmacro %}

{#
  The options of the seed: dbt var -> {step, type, default (text), allowed (list), minimum,
  maximum, description}. Empty while parsing, and when documenting or compiling without the seed
  loaded (then every option reads as '' and a line says so).
#}
{% macro scoring_option_specs() %}
    {%- set seed = ref('scoring_options') -%}
    {%- if not execute -%}{{ return({}) }}{%- endif -%}
    {%- if not require_seed('scoring_options') -%}{{ return({}) }}{%- endif -%}
    {%- set sql -%}
        select dbt_var, step, type, default_value, coalesce(allowed, ''), minimum, maximum, description_en, option
        from {{ seed }} order by sort_order
    {%- endset -%}
    {%- set result = run_query(sql) -%}
    {%- set specs = {} -%}
    {%- for r in result.rows -%}
        {%- do specs.update({r[0]: {
            'step': r[1], 'type': r[2], 'default': r[3], 'allowed': (r[4].split('|') if r[4] else []),
            'minimum': r[5], 'maximum': r[6], 'description': r[7], 'option': r[8]}}) -%}
    {%- endfor -%}
    {{ return(specs) }}
{% endmacro %}

{# The dbt vars given to this invocation (--vars), as a mapping. #}
{% macro invocation_vars() %}
    {%- set given = invocation_args_dict.get('vars') -%}
    {%- if given is none -%}{{ return({}) }}{%- endif -%}
    {%- if given is string -%}{%- set given = fromyaml(given) -%}{%- endif -%}
    {{ return(given or {}) }}
{% endmacro %}

{# Refuse a var that is neither a scoring option nor a project var (a misspelt option would else be ignored),
   and a value of any given option that cannot be applied. #}
{% macro check_scoring_vars(specs) %}
    {%- set unknown = [] -%}
    {%- for name in invocation_vars().keys() | sort -%}
        {%- if name not in specs and name not in project_vars() -%}{%- do unknown.append(name) -%}{%- endif -%}
    {%- endfor -%}
    {%- if unknown -%}
        {{ exceptions.raise_compiler_error("unknown scoring option(s) " ~ unknown | join(', ') ~ " in --vars: the options are "
            ~ specs.keys() | join(', ') ~ " (dbt_project/seeds/scoring_options.csv)") }}
    {%- endif -%}
    {#- every given option is checked here, so the first scoring model refuses a bad value of any of them #}
    {%- for name, value in invocation_vars().items() -%}
        {%- if name in specs and value is not none -%}{%- do scoring_value(name, specs[name], value) -%}{%- endif -%}
    {%- endfor -%}
{% endmacro %}

{# One number of an option, checked against the option's type and range. #}
{% macro scoring_number(name, spec, value, what='') %}
    {%- set label = "scoring option " ~ name ~ "=" ~ value ~ what -%}
    {%- if value is boolean or value is none or value is mapping -%}
        {{ exceptions.raise_compiler_error(label ~ " is not a number") }}
    {%- endif -%}
    {%- set text = (value | string) | trim -%}
    {%- if not modules.re.fullmatch('[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?', text) -%}
        {{ exceptions.raise_compiler_error(label ~ " is not a number") }}
    {%- endif -%}
    {%- set number = text | float -%}
    {%- if spec['type'] in ('int', 'int_list') and number != (number | int) -%}
        {{ exceptions.raise_compiler_error(label ~ " is not a whole number") }}
    {%- endif -%}
    {%- if (spec['minimum'] is not none and number < spec['minimum']) or (spec['maximum'] is not none and number > spec['maximum']) -%}
        {{ exceptions.raise_compiler_error(label ~ " is outside its range " ~ ("%g" | format(spec['minimum'])) ~ " to " ~ ("%g" | format(spec['maximum']))) }}
    {%- endif -%}
    {{ return(number | int if spec['type'] in ('int', 'int_list') else number) }}
{% endmacro %}

{# A value (the var's, or the default's text) checked and typed as the option declares. #}
{% macro scoring_value(name, spec, value) %}
    {%- if spec['type'] == 'choice' -%}
        {%- if value is not string or value not in spec['allowed'] -%}
            {{ exceptions.raise_compiler_error("scoring option " ~ name ~ "='" ~ value ~ "' is not one of " ~ spec['allowed'] | join(', ')) }}
        {%- endif -%}
        {{ return(value) }}
    {%- elif spec['type'] in ('float', 'int') -%}
        {{ return(scoring_number(name, spec, value)) }}
    {%- else -%}
        {%- if value is string -%}
            {%- set items = value.replace('|', ',').split(',') | map('trim') | reject('equalto', '') | list -%}
        {%- elif value is number and value is not boolean -%}
            {%- set items = [value] -%}
        {%- elif value is iterable and value is not mapping -%}
            {%- set items = value | list -%}
        {%- else -%}
            {%- set items = [] -%}
        {%- endif -%}
        {%- if items | length == 0 -%}
            {{ exceptions.raise_compiler_error("scoring option " ~ name ~ "=" ~ value ~ " is not a non-empty list of years") }}
        {%- endif -%}
        {%- set out = [] -%}
        {%- for v in items -%}{%- do out.append(scoring_number(name, spec, v, " (item " ~ v ~ ")")) -%}{%- endfor -%}
        {{ return(out) }}
    {%- endif -%}
{% endmacro %}

{# The value of one option: the dbt var if set, else the default; a value that cannot be applied fails the build. #}
{% macro scoring_option(name) %}
    {%- set specs = scoring_option_specs() -%}
    {%- if specs | length == 0 -%}{{ return('') }}{%- endif -%}
    {%- do check_scoring_vars(specs) -%}
    {%- if name not in specs -%}
        {{ exceptions.raise_compiler_error("unknown scoring option '" ~ name ~ "'") }}
    {%- endif -%}
    {%- set spec = specs[name] -%}
    {%- set given = var(name, none) -%}
    {{ return(scoring_value(name, spec, spec['default'] if given is none else given)) }}
{% endmacro %}

{# A value as text, the same way Python's option_text formats it. #}
{% macro scoring_text(value) %}
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

{# One option's value as text. #}
{% macro scoring_option_text(name) %}
    {{ return(scoring_text(scoring_option(name))) }}
{% endmacro %}

{# An option's default as text. #}
{% macro scoring_default_text(name) %}
    {%- set specs = scoring_option_specs() -%}
    {{ return(scoring_text(scoring_value(name, specs[name], specs[name]['default']))) }}
{% endmacro %}

{#
  The suffix that marks a non-default method: '' with every default, else
  '+' followed by name=value for every option that differs from its default.
#}
{% macro scoring_variant_suffix() %}
    {%- set specs = scoring_option_specs() -%}
    {%- set parts = [] -%}
    {%- for name in specs.keys() | sort -%}
        {%- set text = scoring_option_text(name) -%}
        {%- if text != scoring_default_text(name) -%}{%- do parts.append(name ~ '=' ~ text) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(('+' ~ parts | join(',')) if parts else '') }}
{% endmacro %}

{# SQL expression: the methodology version of the results (framework version + variant suffix). #}
{% macro methodology_version_sql() %}
    (select max(methodology_version) from {{ ref('indicator_framework') }}) || '{{ scoring_variant_suffix() }}'
{% endmacro %}

{#
  The full option set of the run as SQL rows (step, option, value, is_default, description): every
  option, for marts.dim_methodology.
#}
{% macro scoring_option_rows_sql() %}
    {%- set specs = scoring_option_specs() -%}
    {%- if specs | length == 0 -%}
    select null::varchar as step, null::varchar as option, null::varchar as value, null::boolean as is_default,
           null::varchar as description, null::integer as sort_order
    where false
    {%- else -%}
    {%- for name, spec in specs.items() %}
    {% if not loop.first %}union all {% endif -%}
    select '{{ spec["step"] }}' as step, '{{ name }}' as option, '{{ scoring_option_text(name) }}' as value,
           {{ 'true' if scoring_option_text(name) == scoring_default_text(name) else 'false' }} as is_default,
           '{{ spec["description"] | replace("'", "''") }}' as description, {{ loop.index }} as sort_order
    {%- endfor %}
    {%- endif %}
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
