-- One row per year and measure (composite or a capacity): how far the official and the residents'
-- views agree across the streets that have both (fct_two_way): Pearson r with its 95% interval
-- (Fisher z: tanh(atanh r ± 1.96 / sqrt(n − 3))), Spearman rho (Pearson r of the average ranks),
-- the city medians that split the quadrants, the streets per quadrant and the disagreements.

with two_way as (
    select * from {{ ref('fct_two_way') }}
),

ranked as (
    select
        *,
        rank() over (partition by year, measure order by official_score)
            + (count(*) over (partition by year, measure, official_score) - 1) / 2.0 as official_avg_rank,
        rank() over (partition by year, measure order by resident_score)
            + (count(*) over (partition by year, measure, resident_score) - 1) / 2.0 as resident_avg_rank
    from two_way
),

agg as (
    select
        year,
        measure,
        {{ any_value_of('measure_name_zh') }} as measure_name_zh,
        {{ any_value_of('measure_name_en') }} as measure_name_en,
        min(sort_order) as sort_order,
        count(*) as n_streets,
        corr(official_score, resident_score) as pearson_r,
        corr(official_avg_rank, resident_avg_rank) as spearman_rho,
        {{ any_value_of('official_median') }} as official_median,
        {{ any_value_of('resident_median') }} as resident_median,
        count(*) filter (where quadrant = 'both_high') as n_both_high,
        count(*) filter (where quadrant = 'official_high_residents_low') as n_official_high_residents_low,
        count(*) filter (where quadrant = 'official_low_residents_high') as n_official_low_residents_high,
        count(*) filter (where quadrant = 'both_low') as n_both_low,
        count(*) filter (where is_disagreement) as n_disagreements,
        bool_or(is_synthetic) as is_synthetic
    from ranked
    group by year, measure
)

select
    *,
    case when n_streets > 3 and abs(pearson_r) < 1 then tanh(atanh(pearson_r) - 1.96 / sqrt(n_streets - 3)) end as pearson_ci_low,
    case when n_streets > 3 and abs(pearson_r) < 1 then tanh(atanh(pearson_r) + 1.96 / sqrt(n_streets - 3)) end as pearson_ci_high
from agg
