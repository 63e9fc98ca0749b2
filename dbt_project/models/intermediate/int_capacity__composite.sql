-- Composite score (0–100) per street and year from the capacity scores with the capacity
-- weights of capacity_framework, renormalised over the capacities that have a score
-- (with all five scored: composite = Σ weight × score). Aggregation as for capacity scores.
-- Ranking rule: a street-year is ranked when it has a composite score and meets the street
-- coverage rule (int_street_year__data_coverage). Ranks are competition ranks (1, 2, 2, 4) on the
-- score rounded half up to 6 decimals (floor(score × 10⁶ + 0.5)), so equal scores tie explicitly. Tier: the first band of
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
        composite.*,
        streets.district_name,
        coverage.data_coverage,
        coverage.n_indicators_included,
        coverage.n_indicators_with_own_data,
        coverage.n_indicators_imputed,
        coverage.n_counting_documents,
        composite.composite_score is not null and coverage.is_rankable as is_ranked,
        case
            when composite.composite_score is null then 'not ranked: no indicator counts for the street this year'
            when coverage.n_counting_documents = 0 then 'not ranked: no counting document for the street this year'
            when not coverage.is_rankable
                then 'not ranked: own data cover ' || round(100.0 * coverage.data_coverage, 1)
                    || '% of the included indicators, below the ' || round(100.0 * coverage.min_street_coverage, 1) || '% rule'
            else 'ranked'
        end as rank_status
    from composite
    inner join coverage using (street_code, year)
    inner join streets using (street_code)
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
