-- One row per street, year and capacity: the capacity score (0–100), its rank among the year's
-- ranked streets (competition ranks on the score rounded half up to 6 decimals), and the weight the
-- capacity carries in the street's composite. A street-year without enough own data (coverage
-- gates) has no capacity scores either (score empty, as its composite).

with scores as (
    select * from {{ ref('int_capacity__scores') }}
),

composite as (
    select street_code, year, district_name, is_ranked, has_enough_data from {{ ref('int_capacity__composite') }}
),

capacities as (
    select capacity, name_zh, name_en, weight, sort_order from {{ ref('capacity_framework') }}
),

gated as (
    select
        scores.street_code,
        scores.year,
        scores.capacity,
        case when composite.has_enough_data then scores.score end as score,
        scores.n_indicators_counted,
        scores.n_indicators_imputed,
        scores.n_indicators_treated,
        scores.aggregation
    from scores
    inner join composite using (street_code, year)
),

joined as (
    select
        scores.*,
        composite.district_name,
        composite.is_ranked and scores.score is not null as is_ranked,
        capacities.name_zh as capacity_name_zh,
        capacities.name_en as capacity_name_en,
        capacities.sort_order,
        case when scores.score is not null then
            capacities.weight / sum(case when scores.score is not null then capacities.weight end)
                over (partition by scores.street_code, scores.year)
        end as capacity_weight
    from gated as scores
    inner join composite using (street_code, year)
    inner join capacities using (capacity)
)

select
    street_code,
    year,
    capacity,
    capacity_name_zh,
    capacity_name_en,
    district_name,
    score,
    case when is_ranked then rank() over (
        partition by year, capacity, is_ranked order by floor(score * 1000000 + 0.5) desc) end as rank,
    case when is_ranked then count(*) over (partition by year, capacity, is_ranked) end as n_ranked,
    capacity_weight,
    capacity_weight * score as composite_contribution,
    n_indicators_counted,
    n_indicators_imputed,
    n_indicators_treated,
    '{{ scoring_option("scoring_normalisation") }}' as normalisation,
    '{{ scoring_option("scoring_weighting") }}' as weighting,
    aggregation,
    {{ methodology_version_sql() }} as methodology_version
from joined
