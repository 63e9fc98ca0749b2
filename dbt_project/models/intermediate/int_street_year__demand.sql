-- The governance demand index (治理需求指数) per street and year: the weighted mean of the
-- z-scores of the demand measures the street has (weights of the demand framework seed,
-- renormalised over the measures present), rescaled as index_base × exp(score), so a street at the
-- year's mean on every measure is 100 and log(index) is linear in the score. A street-year that
-- misses a required measure, or has less than min_demand_coverage of the weights, has no index
-- and a reason instead.

with measures as (
    select * from {{ ref('int_street_year__demand_measures') }}
),

framework_weight as (
    select sum(weight) as weight_total, max(demand_version) as demand_version from {{ ref('demand_framework') }}
),

per_street as (
    select
        street_code,
        year,
        count(z_score) as n_measures,
        sum(weight) filter (where z_score is not null) as weight_available,
        sum(weight * z_score) filter (where z_score is not null)
            / nullif(sum(weight) filter (where z_score is not null), 0) as demand_score,
        string_agg(measure_id, ', ' order by measure_id) filter (where required and z_score is null) as missing_required,
        string_agg(measure_id, ', ' order by measure_id) filter (where z_score is not null and not is_real) as synthetic_measures,
        sum(weight) filter (where z_score is not null and is_real)
            / nullif(sum(weight) filter (where z_score is not null), 0) as real_weight_share
    from measures
    group by street_code, year
),

scored as (
    select
        per_street.*,
        coalesce(per_street.weight_available, 0) / framework_weight.weight_total as demand_coverage,
        framework_weight.demand_version
    from per_street
    cross join framework_weight
)

select
    street_code,
    year,
    case
        when missing_required is null and demand_coverage >= {{ demand_parameter('min_demand_coverage') }}
            then {{ demand_parameter('index_base') }} * exp(demand_score)
    end as demand_index,
    case
        when missing_required is null and demand_coverage >= {{ demand_parameter('min_demand_coverage') }}
            then demand_score
    end as demand_score,
    n_measures,
    demand_coverage,
    coalesce(real_weight_share, 0) as demand_real_share,
    synthetic_measures,
    synthetic_measures is not null as is_demand_synthetic,
    case
        when missing_required is not null then 'missing required measure(s): ' || missing_required
        when demand_coverage < {{ demand_parameter('min_demand_coverage') }}
            then 'demand measures cover ' || cast({{ round_to('100 * demand_coverage') }} as integer) || '% of the weights (needs '
                 || cast({{ round_to('100 * ' ~ demand_parameter('min_demand_coverage')) }} as integer) || '%)'
    end as demand_reason,
    demand_version
from scored
