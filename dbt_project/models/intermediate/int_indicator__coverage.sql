-- Coverage screening per year and scored indicator (COINr / OECD-JRC practice).
-- Rule: an indicator whose raw values cover fewer than `min_indicator_coverage` of the year's
-- streets (default 65%), or none at all, is excluded from that year's scores; its weight goes to
-- the other indicators of its capacity. Excluded indicator-years are listed here and in
-- marts.fct_indicator_year with the reason; nothing is dropped silently.

{%- set min_coverage = scoring_option('min_indicator_coverage') %}

with raw_values as (
    select * from {{ ref('int_indicator__raw_values') }}
    where capacity <> 'CTX'
),

counts as (
    select
        year,
        indicator_id,
        capacity,
        count(*) as n_streets,
        count(raw_value) as n_with_value
    from raw_values
    group by year, indicator_id, capacity
)

select
    year,
    indicator_id,
    capacity,
    n_streets,
    n_with_value,
    cast(n_with_value as {{ type_double() }}) / n_streets as coverage,
    {{ min_coverage }} as min_indicator_coverage,
    n_with_value > 0 and cast(n_with_value as {{ type_double() }}) / n_streets >= {{ min_coverage }} as is_included,
    case
        when n_with_value = 0 then 'excluded: no street has a value this year'
        when cast(n_with_value as {{ type_double() }}) / n_streets < {{ min_coverage }}
            then 'excluded: coverage ' || {{ float_text(round_to('100.0 * n_with_value / n_streets', 1)) }} || '% below the '
                || round(100.0 * {{ min_coverage }}, 1) || '% threshold'
    end as exclusion_reason
from counts
