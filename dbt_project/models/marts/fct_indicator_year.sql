-- One row per year and scored indicator: how the year's values were screened, imputed, treated
-- and normalised, and the indicator's base weight in its capacity — the method's audit trail.

with coverage as (
    select * from {{ ref('int_indicator__coverage') }}
),

weighted as (
    select * from {{ ref('int_indicator__weighted') }}
),

weights as (
    select * from {{ ref('int_indicator__weights') }}
),

per_year as (
    select
        year,
        indicator_id,
        count(*) filter (where is_imputed) as n_imputed,
        count(*) filter (where is_imputed and imputation_method = 'own_previous_year') as n_imputed_own_previous_year,
        count(*) filter (where is_imputed and imputation_method = 'district_median') as n_imputed_district_median,
        count(*) filter (where is_imputed and imputation_method = 'city_median') as n_imputed_city_median,
        count(*) filter (where is_treated) as n_treated,
        {{ any_value_of('skewness_before') }} as skewness_before,
        {{ any_value_of('kurtosis_before') }} as kurtosis_before,
        {{ any_value_of('skewness_after') }} as skewness_after,
        {{ any_value_of('kurtosis_after') }} as kurtosis_after,
        {{ any_value_of('scale_low') }} as scale_low,
        {{ any_value_of('scale_high') }} as scale_high,
        {{ any_value_of('scale_basis') }} as scale_basis,
        avg(normalised_value) as mean_normalised_value
    from weighted
    group by year, indicator_id
)

select
    coverage.year,
    coverage.indicator_id,
    coverage.capacity,
    coverage.n_streets,
    coverage.n_with_value,
    coverage.coverage,
    coverage.is_included,
    coverage.exclusion_reason,
    per_year.n_imputed,
    per_year.n_imputed_own_previous_year,
    per_year.n_imputed_district_median,
    per_year.n_imputed_city_median,
    per_year.n_treated,
    per_year.skewness_before,
    per_year.kurtosis_before,
    per_year.skewness_after,
    per_year.kurtosis_after,
    per_year.scale_low,
    per_year.scale_high,
    per_year.scale_basis,
    per_year.mean_normalised_value,
    weights.raw_weight,
    weights.base_weight,
    '{{ scoring_option("scoring_normalisation") }}' as normalisation,
    '{{ scoring_option("scoring_weighting") }}' as weighting,
    {{ methodology_version_sql() }} as methodology_version
from coverage
left join per_year using (year, indicator_id)
left join weights using (year, indicator_id)
