-- Every street × year × scored indicator with the weight it carries in its capacity score.
-- An indicator counts for a street-year when it is included that year and has a normalised
-- value; weight = base weight / Σ base weights of the capacity's indicators that count for the
-- street-year (so weights sum to 1 over them; equal shares if those base weights sum to ~0).

with normalised as (
    select * from {{ ref('int_indicator__normalised') }}
),

weights as (
    select * from {{ ref('int_indicator__weights') }}
),

joined as (
    select
        normalised.*,
        weights.base_weight,
        weights.weighting,
        normalised.is_included and normalised.normalised_value is not null as counts_in_score
    from normalised
    left join weights using (year, indicator_id)
),

totals as (
    select
        street_code,
        year,
        capacity,
        sum(base_weight) filter (where counts_in_score) as total_weight,
        count(*) filter (where counts_in_score) as n_counting
    from joined
    group by street_code, year, capacity
)

select
    joined.*,
    case
        when not joined.counts_in_score then null
        when totals.total_weight > 1e-12 then joined.base_weight / totals.total_weight
        else 1.0 / totals.n_counting
    end as weight
from joined
inner join totals using (street_code, year, capacity)
