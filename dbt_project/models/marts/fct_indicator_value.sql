-- One row per street, year and scored indicator: the raw value and how it became a score —
-- imputation, outlier treatment, normalisation (0–100, direction applied), the weight inside the
-- capacity for this street-year, and the source documents. With the default arithmetic
-- aggregation, fct_capacity_score.score = Σ weight × normalised_value over the rows that count.

with weighted as (
    select * from {{ ref('int_indicator__weighted') }}
),

raw_values as (
    select * from {{ ref('int_indicator__raw_values') }}
),

coverage as (
    select year, indicator_id, coverage, exclusion_reason from {{ ref('int_indicator__coverage') }}
),

indicators as (
    select indicator_id, name_zh, name_en from {{ ref('indicator_framework') }}
),

imputation_sources as (
    -- an own-previous-year imputation carries the donor year's documents
    select street_code, year, indicator_id, source_documents, source_file_sha256s, source_values
    from raw_values
)

select
    weighted.street_code,
    weighted.year,
    weighted.indicator_id,
    weighted.capacity,
    indicators.name_zh as indicator_name_zh,
    indicators.name_en as indicator_name_en,
    weighted.district_name,
    weighted.raw_value,
    raw_values.raw_value_note,
    weighted.is_included,
    coverage.coverage as indicator_coverage,
    coverage.exclusion_reason,
    weighted.is_imputed,
    weighted.imputation_method,
    weighted.imputed_from_year,
    weighted.imputed_value as value_used,
    weighted.is_treated,
    weighted.treated_value,
    weighted.normalised_value,
    weighted.scale_low,
    weighted.scale_high,
    weighted.scale_basis,
    weighted.direction,
    weighted.base_weight,
    weighted.weight,
    weighted.counts_in_score,
    weighted.weight * weighted.normalised_value as weighted_contribution,
    case
        when weighted.imputation_method = 'own_previous_year' then donor.source_documents
        else raw_values.source_documents
    end as source_documents,
    case
        when weighted.imputation_method = 'own_previous_year' then donor.source_file_sha256s
        else raw_values.source_file_sha256s
    end as source_file_sha256s,
    raw_values.source_values,
    weighted.normalisation,
    weighted.weighting,
    '{{ scoring_option("scoring_aggregation") }}' as aggregation,
    {{ methodology_version_sql() }} as methodology_version
from weighted
inner join raw_values using (street_code, year, indicator_id)
inner join coverage using (year, indicator_id)
inner join indicators using (indicator_id)
left join imputation_sources as donor
    on donor.street_code = weighted.street_code
    and donor.indicator_id = weighted.indicator_id
    and donor.year = weighted.imputed_from_year
