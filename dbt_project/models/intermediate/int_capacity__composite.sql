-- Composite score (0–100) per street and year from the capacity scores with the capacity
-- weights of capacity_framework, renormalised over the capacities that have a score
-- (with all five scored: composite = Σ weight × score). Aggregation as for capacity scores.
-- Coverage gates (seeds/coverage_gates.csv): a street-year without enough own data
-- (int_street_year__data_coverage.has_enough_data) gets no composite score and no rank —
-- rank_status 'insufficient_data' (数据不足) and rank_note says what is missing. The others are
-- ranked: rank_status 'ranked', or 'provisional' when the year fails the year gates
-- (int_year__coverage_gates; rank_note says why).
-- Ranks are competition ranks (1, 2, 2, 4) on the score rounded half up to 6 decimals
-- (floor(score × 10⁶ + 0.5)), so equal scores tie explicitly. Tier: the first band of
-- tier_bands with (rank − 1) × 100 < upper_rank_pct × ranked streets. rank_in_district ranks
-- the same way inside the district; rank_change = last year's rank − this year's rank
-- (positive = moved up; empty when either year is unranked or there is no previous year).

{%- set aggregation = scoring_option('scoring_aggregation') %}

with capacity_scores as (
    select * from {{ ref('int_capacity__scores') }}
),

capacities as (
    select capacity, weight from {{ ref('capacity_framework') }}
),

coverage as (
    select * from {{ ref('int_street_year__data_coverage') }}
),

streets as (
    select street_code, district_name from {{ ref('dim_street') }}
),

tiers as (
    select * from {{ ref('tier_bands') }}
),

year_gates as (
    select year, release_status, release_reason from {{ ref('int_year__coverage_gates') }}
),

weighted as (
    select
        capacity_scores.*,
        case when capacity_scores.score is not null then
            capacities.weight / sum(case when capacity_scores.score is not null then capacities.weight end)
                over (partition by capacity_scores.street_code, capacity_scores.year)
        end as capacity_weight
    from capacity_scores
    inner join capacities using (capacity)
),

composite as (
    select
        street_code,
        year,
        {%- if aggregation == 'arithmetic' %}
        sum(capacity_weight * score) filter (where score is not null) as composite_score,
        {%- else %}
        (exp(sum(capacity_weight * ln(1.0 + 0.99 * score)) filter (where score is not null)) - 1.0) / 0.99 as composite_score,
        {%- endif %}
        count(score) as n_capacities_scored
    from weighted
    group by street_code, year
),

eligible as (
    select
        composite.street_code,
        composite.year,
        case when coverage.has_enough_data then composite.composite_score end as composite_score,
        case when coverage.has_enough_data then composite.n_capacities_scored else 0 end as n_capacities_scored,
        streets.district_name,
        coverage.data_coverage,
        coverage.n_framework_indicators,
        coverage.n_indicators_included,
        coverage.n_indicators_with_own_data,
        coverage.n_indicators_imputed,
        coverage.n_counting_documents,
        coverage.n_capacities_with_own_data,
        coverage.has_enough_data,
        coverage.missing_data,
        year_gates.release_status,
        year_gates.release_reason,
        composite.composite_score is not null and coverage.has_enough_data as is_ranked,
        case
            when not (composite.composite_score is not null and coverage.has_enough_data) then 'insufficient_data'
            when year_gates.release_status = 'provisional' then 'provisional'
            else 'ranked'
        end as rank_status,
        case
            when not coverage.has_enough_data then '数据不足 insufficient data: ' || coverage.missing_data
            when composite.composite_score is null then '数据不足 insufficient data: no indicator counts for the street this year'
            when year_gates.release_status = 'provisional' then '暂定排名 provisional ranking: ' || year_gates.release_reason
        end as rank_note
    from composite
    inner join coverage using (street_code, year)
    inner join streets using (street_code)
    inner join year_gates using (year)
),

ranked as (
    select
        *,
        case when is_ranked then rank() over (
            partition by year, is_ranked order by floor(composite_score * 1000000 + 0.5) desc) end as rank,
        sum(case when is_ranked then 1 else 0 end) over (partition by year) as n_ranked,
        case when is_ranked then count(*) over (
            partition by year, is_ranked, floor(composite_score * 1000000 + 0.5)) > 1 end as is_tied,
        case when is_ranked then rank() over (
            partition by year, district_name, is_ranked order by floor(composite_score * 1000000 + 0.5) desc) end as rank_in_district,
        case when is_ranked then count(*) over (partition by year, district_name, is_ranked) end as n_ranked_in_district
    from eligible
),

tiered as (
    select
        ranked.*,
        (
            select min(tiers.tier_band) from tiers
            where (ranked.rank - 1) * 100 < tiers.upper_rank_pct * ranked.n_ranked
        ) as tier_band
    from ranked
)

select
    tiered.*,
    tiers.label_zh as tier,
    tiers.label_en as tier_en,
    previous.rank as previous_rank,
    previous.rank - tiered.rank as rank_change,
    '{{ aggregation }}' as aggregation
from tiered
left join tiers using (tier_band)
left join tiered as previous
    on previous.street_code = tiered.street_code
    and previous.year = tiered.year - 1
