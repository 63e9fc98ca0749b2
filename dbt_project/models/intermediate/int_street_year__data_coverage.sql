-- How much of a street's score in a year rests on its own data: the share of the year's
-- included indicators for which the street has a raw (not imputed) value.
-- Rule: a street-year with no counting document at all, or below `min_street_coverage`
-- (default 50%), is scored for transparency but not ranked (rank and tier empty, rank_status
-- says why) — imputed values must not carry a rank.

{%- set min_street_coverage = scoring_option('min_street_coverage') %}

with imputed as (
    select * from {{ ref('int_indicator__imputed') }}
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
)

select
    street_years.street_code,
    street_years.year,
    coalesce(counts.n_indicators_included, 0) as n_indicators_included,
    coalesce(counts.n_indicators_with_own_data, 0) as n_indicators_with_own_data,
    coalesce(counts.n_indicators_imputed, 0) as n_indicators_imputed,
    coalesce(documents.n_counting_documents, 0) as n_counting_documents,
    case
        when coalesce(counts.n_indicators_included, 0) > 0
            then counts.n_indicators_with_own_data / counts.n_indicators_included
        else 0.0
    end as data_coverage,
    {{ min_street_coverage }} as min_street_coverage,
    case
        when coalesce(counts.n_indicators_included, 0) > 0
            then counts.n_indicators_with_own_data / counts.n_indicators_included
        else 0.0
    end >= {{ min_street_coverage }} and coalesce(documents.n_counting_documents, 0) > 0 as is_rankable
from street_years
left join counts using (street_code, year)
left join documents using (street_code, year)
