-- One row per street and year (all 74 streets every observed year): the composite score
-- (0–100), rank with explicit ties, tier, rank in district, rank change against the previous
-- year, how much rests on the street's own data (counted against the full framework), the
-- coverage-gate outcome (rank_status, rank_note, the year's release_status) and the method.

with composite as (
    select * from {{ ref('int_capacity__composite') }}
),

streets as (
    select street_code, street_name from {{ ref('dim_street') }}
)

select
    composite.street_code,
    streets.street_name,
    composite.district_name,
    composite.year,
    composite.composite_score,
    composite.rank,
    composite.is_tied,
    composite.n_ranked,
    composite.tier,
    composite.tier_en,
    composite.tier_band,
    composite.rank_in_district,
    composite.n_ranked_in_district,
    composite.previous_rank,
    composite.rank_change,
    composite.is_ranked,
    composite.rank_status,
    composite.rank_note,
    composite.release_status,
    composite.release_reason,
    composite.has_enough_data,
    composite.missing_data,
    composite.n_capacities_scored,
    composite.data_coverage,
    composite.n_framework_indicators,
    composite.n_indicators_included,
    composite.n_indicators_with_own_data,
    composite.n_capacities_with_own_data,
    composite.n_indicators_imputed,
    composite.n_counting_documents,
    '{{ scoring_option("scoring_normalisation") }}' as normalisation,
    '{{ scoring_option("scoring_weighting") }}' as weighting,
    composite.aggregation,
    (select max(methodology_version) from {{ ref('indicator_framework') }}) as framework_version,
    {{ methodology_version_sql() }} as methodology_version
from composite
inner join streets using (street_code)
