-- How much of a street's score in a year rests on its own data, counted against the full
-- framework: the share of all scored indicators of indicator_framework for which the street has
-- a raw (not imputed) value of an included indicator, the capacities with such data, and its
-- counting documents.
-- Rule (seeds/coverage_gates.csv): a street-year has enough data to be scored and ranked only
-- with at least `street_min_documents` counting documents, own data for at least
-- `street_min_indicator_share` of the framework's scored indicators and in at least
-- `street_min_capacities` capacities. Otherwise it gets no composite score, no capacity scores
-- and no rank: 数据不足 insufficient data, with what is missing (never an imputed score).

with imputed as (
    select * from {{ ref('int_indicator__imputed') }}
),

framework as (
    select count(*) as n_framework_indicators
    from {{ ref('indicator_framework') }}
    where capacity <> 'CTX'
),

capacities as (
    select capacity, sort_order from {{ ref('capacity_framework') }}
),

street_years as (
    select street_code, year from {{ ref('int_street_year__population') }}
),

documents as (
    select street_code, year, count(*) as n_counting_documents
    from {{ ref('int_documents__inventory') }}
    where counts_for_scoring and street_code is not null and year is not null
    group by street_code, year
),

counts as (
    select
        street_code,
        year,
        count(*) filter (where is_included) as n_indicators_included,
        count(*) filter (where is_included and raw_value is not null) as n_indicators_with_own_data,
        count(*) filter (where is_imputed) as n_indicators_imputed
    from imputed
    group by street_code, year
),

own_capacities as (
    select distinct street_code, year, capacity
    from imputed
    where is_included and raw_value is not null
),

missing_capacities as (
    select
        street_years.street_code,
        street_years.year,
        count(own_capacities.capacity) as n_capacities_with_own_data,
        string_agg(case when own_capacities.capacity is null then capacities.capacity end, ', ' order by capacities.sort_order)
            as capacities_without_own_data
    from street_years
    cross join capacities
    left join own_capacities
        on own_capacities.street_code = street_years.street_code
        and own_capacities.year = street_years.year
        and own_capacities.capacity = capacities.capacity
    group by street_years.street_code, street_years.year
),

measured as (
    select
        street_years.street_code,
        street_years.year,
        framework.n_framework_indicators,
        coalesce(counts.n_indicators_included, 0) as n_indicators_included,
        coalesce(counts.n_indicators_with_own_data, 0) as n_indicators_with_own_data,
        coalesce(counts.n_indicators_imputed, 0) as n_indicators_imputed,
        coalesce(documents.n_counting_documents, 0) as n_counting_documents,
        missing_capacities.n_capacities_with_own_data,
        missing_capacities.capacities_without_own_data,
        cast(coalesce(counts.n_indicators_with_own_data, 0) as {{ type_double() }}) / framework.n_framework_indicators as data_coverage,
        {{ coverage_gate('street_min_documents') }} as min_documents,
        {{ coverage_gate('street_min_indicator_share') }} as min_indicator_share,
        {{ coverage_gate('street_min_capacities') }} as min_capacities
    from street_years
    cross join framework
    left join counts using (street_code, year)
    left join documents using (street_code, year)
    left join missing_capacities using (street_code, year)
)

select
    *,
    n_counting_documents >= min_documents as meets_document_rule,
    data_coverage >= min_indicator_share as meets_indicator_rule,
    n_capacities_with_own_data >= min_capacities as meets_capacity_rule,
    n_counting_documents >= min_documents and data_coverage >= min_indicator_share
        and n_capacities_with_own_data >= min_capacities as has_enough_data,
    -- what is missing, in words (empty when the street has enough data)
    nullif(concat_ws('; ',
        case when n_counting_documents < min_documents
            then '无有效文件 no counting document' end,
        case when data_coverage < min_indicator_share
            then '自有数据仅覆盖 ' || n_indicators_with_own_data || ' / ' || n_framework_indicators
                || ' 项指标 own data for ' || n_indicators_with_own_data || ' of ' || n_framework_indicators
                || ' framework indicators (' || {{ round_to('100.0 * data_coverage', 0) }}::integer || '%, rule ≥ '
                || {{ round_to('100.0 * min_indicator_share', 0) }}::integer || '%)' end,
        case when n_capacities_with_own_data < min_capacities
            then '无自有数据的能力 capacities without own data: ' || capacities_without_own_data end
    ), '') as missing_data
from measured
