-- Normalisation of the treated values onto 0–100 with the direction applied (100 = best).
--   goalposts (default): fixed goalposts per indicator = min and max of the treated values over
--       the reference period (`goalpost_reference_years`; if the indicator has no value there,
--       its earliest year with values). n = 100 (x - low) / (high - low), capped to 0–100, so
--       scores are comparable across years and a year added later leaves them unchanged;
--   minmax_year: the same with the year's own min and max (per-year ranking only);
--   zscore: n = 50 + 10 z, z = (x - mean) / population sd of the year, capped to 0–100.
-- Lower-is-better indicators (direction -1) use 100 - n (z-score: 50 - 10 z). A flat
-- distribution (high = low, or sd ≈ 0) gives every street 50.

{%- set method = scoring_option('scoring_normalisation') %}
{%- set reference_years = scoring_option('goalpost_reference_years') %}
{#- goalposts need at least one reference year among the data's years: refused, never replaced #}
{%- if execute and method == 'goalposts' and load_relation(ref('int_indicator__treated')) is not none %}
    {%- set data_years = run_query("select distinct year from " ~ ref('int_indicator__treated') ~ " order by year").columns[0].values() | map('int') | list %}
    {%- set common = [] %}
    {%- for y in reference_years %}{% if y in data_years %}{% do common.append(y) %}{% endif %}{% endfor %}
    {%- if data_years | length > 0 and common | length == 0 %}
        {{ exceptions.raise_compiler_error("scoring option goalpost_reference_years=" ~ scoring_option_text('goalpost_reference_years')
            ~ " cannot be applied: none of these years is a year of the data (" ~ data_years | join(', ')
            ~ "), so no goalposts can be set from them; choose reference years the data cover") }}
    {%- endif %}
{%- endif %}

with treated as (
    select * from {{ ref('int_indicator__treated') }}
),

framework as (
    select indicator_id, direction from {{ ref('indicator_framework') }}
),

values_ as (
    select * from treated where treated_value is not null
),

reference_goalposts as (
    select
        indicator_id,
        min(treated_value) as low,
        max(treated_value) as high,
        string_agg(distinct cast(year as varchar), ', ' order by cast(year as varchar)) as years_used
    from values_
    where {% if reference_years | length > 0 %}year in ({{ reference_years | join(', ') }}){% else %}false{% endif %}
    group by indicator_id
),

first_years as (
    select indicator_id, min(year) as first_year from values_ group by indicator_id
),

fallback_goalposts as (
    select values_.indicator_id, min(values_.treated_value) as low, max(values_.treated_value) as high
    from values_
    inner join first_years on first_years.indicator_id = values_.indicator_id and first_years.first_year = values_.year
    group by values_.indicator_id
),

goalposts as (
    select
        fallback_goalposts.indicator_id,
        coalesce(reference_goalposts.low, fallback_goalposts.low) as low,
        coalesce(reference_goalposts.high, fallback_goalposts.high) as high,
        -- the reference years that had values (a reference year without data is named by its absence)
        case when reference_goalposts.indicator_id is not null then 'reference period ' || reference_goalposts.years_used
             else 'earliest year with values' end as goalpost_basis
    from fallback_goalposts
    left join reference_goalposts using (indicator_id)
),

year_stats as (
    select
        year,
        indicator_id,
        min(treated_value) as low,
        max(treated_value) as high,
        avg(treated_value) as mean,
        stddev_pop(treated_value) as sd
    from values_
    group by year, indicator_id
),

params as (
    select
        treated.street_code,
        treated.year,
        treated.indicator_id,
        framework.direction,
        {%- if method == 'goalposts' %}
        goalposts.low as scale_low,
        goalposts.high as scale_high,
        goalposts.goalpost_basis as scale_basis
        {%- elif method == 'minmax_year' %}
        year_stats.low as scale_low,
        year_stats.high as scale_high,
        'year min-max' as scale_basis
        {%- else %}
        year_stats.mean as scale_low,
        year_stats.sd as scale_high,
        'year mean and population sd' as scale_basis
        {%- endif %}
    from treated
    inner join framework using (indicator_id)
    left join goalposts using (indicator_id)
    left join year_stats using (year, indicator_id)
),

normalised as (
    select
        treated.*,
        params.direction,
        params.scale_low,
        params.scale_high,
        params.scale_basis,
        {%- if method in ('goalposts', 'minmax_year') %}
        case
            when treated.treated_value is null then null
            when params.scale_high = params.scale_low then 50.0
            else greatest(0.0, least(100.0,
                100.0 * (treated.treated_value - params.scale_low) / (params.scale_high - params.scale_low)))
        end as n_up
        {%- else %}
        case
            when treated.treated_value is null then null
            when params.scale_high is null or params.scale_high < 1e-9 then 50.0
            else greatest(0.0, least(100.0,
                50.0 + 10.0 * params.direction * (treated.treated_value - params.scale_low) / params.scale_high))
        end as n_up
        {%- endif %}
    from treated
    inner join params using (street_code, year, indicator_id)
)

select
    {%- for c in ['street_code', 'year', 'indicator_id', 'capacity', 'district_name', 'raw_value', 'is_included', 'imputed_value',
                  'is_imputed', 'imputation_method', 'imputed_from_year', 'treated_value', 'is_treated', 'skewness_before',
                  'kurtosis_before', 'skewness_after', 'kurtosis_after', 'n_treated_in_year',
                  'direction', 'scale_low', 'scale_high', 'scale_basis'] %}
    {{ c }},
    {%- endfor %}
    {%- if method in ('goalposts', 'minmax_year') %}
    case when direction = -1 then 100.0 - n_up else n_up end as normalised_value,
    {%- else %}
    n_up as normalised_value,
    {%- endif %}
    '{{ method }}' as normalisation
from normalised
