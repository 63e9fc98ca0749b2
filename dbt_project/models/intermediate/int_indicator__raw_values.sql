-- The raw value of every framework indicator (scored and context) for every street and year,
-- computed from the street-year measures by the indicator's SQL expression in the framework
-- seed. A zero denominator follows the indicator's stated rule ('zero' → 0, 'missing' → no
-- value); every missing value says why. Source documents are those of the measures the
-- expression reads.
-- depends_on: {{ ref('indicator_framework') }}
-- depends_on: {{ ref('field_catalog') }}

with measures as (
    select * from {{ ref('int_street_year__measures_pivoted') }}
),

measure_provenance as (
    select * from {{ ref('int_street_year__measures') }}
),

framework as (
    select indicator_id, capacity, source_fields from {{ ref('indicator_framework') }}
),

computed as (
    {%- set indicators = framework_indicators() %}
    {%- if indicators | length == 0 %}
    select
        cast(null as varchar) as street_code, cast(null as integer) as year, cast(null as varchar) as indicator_id,
        false as is_zero_denominator, cast(null as {{ type_double() }}) as raw_value, '' as missing_fields
    where false
    {%- endif %}
    {%- for ind in indicators %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        street_code,
        year,
        '{{ ind.indicator_id }}' as indicator_id,
        {%- if ind.denominator_sql %}
        ({{ ind.denominator_sql }}) = 0 as is_zero_denominator,
        case
            when ({{ ind.denominator_sql }}) = 0 then {{ '0.0' if ind.zero_denominator_rule == 'zero' else 'cast(null as ' ~ type_double() ~ ')' }}
            else cast({{ ind.expression_sql }} as {{ type_double() }})
        end as raw_value,
        {%- else %}
        false as is_zero_denominator,
        cast({{ ind.expression_sql }} as {{ type_double() }}) as raw_value,
        {%- endif %}
        concat_ws(', '
            {%- for f in ind.source_fields %}, case when {{ f }} is null then '{{ f }}' end{%- endfor %}
        ) as missing_fields
    from measures
    {%- endfor %}
),

sources as (
    select
        computed.street_code,
        computed.year,
        computed.indicator_id,
        string_agg(distinct measure_provenance.source_path, '; ' order by measure_provenance.source_path)
            filter (where measure_provenance.measure_origin = 'extracted') as source_documents,
        array_agg(distinct measure_provenance.source_file_sha256 order by measure_provenance.source_file_sha256)
            filter (where measure_provenance.measure_origin = 'extracted') as source_file_sha256s,
        string_agg(
            measure_provenance.field_id || '=' || {{ float_text('measure_provenance.value') }}
                || coalesce(' (' || measure_provenance.source_path || coalesce(' p.' || measure_provenance.source_page, '') || ')', ''),
            '; ' order by measure_provenance.field_id
        ) as source_values
    from computed
    inner join framework using (indicator_id)
    inner join measure_provenance
        on measure_provenance.street_code = computed.street_code
        and measure_provenance.year = computed.year
        and {{ delimited_contains('framework.source_fields', "';'", 'measure_provenance.field_id') }}
    group by computed.street_code, computed.year, computed.indicator_id
)

select
    computed.street_code,
    computed.year,
    computed.indicator_id,
    framework.capacity,
    computed.raw_value,
    computed.is_zero_denominator,
    case
        when computed.raw_value is not null and computed.is_zero_denominator then 'zero denominator: the framework rule gives 0'
        when computed.raw_value is not null then null
        when computed.is_zero_denominator then 'zero denominator: the framework rule gives no value'
        when computed.missing_fields <> '' then 'missing measures: ' || computed.missing_fields
        else 'not computable from the measures present'
    end as raw_value_note,
    nullif(computed.missing_fields, '') as missing_fields,
    sources.source_documents,
    sources.source_file_sha256s,
    sources.source_values
from computed
inner join framework using (indicator_id)
left join sources using (street_code, year, indicator_id)
