-- Capacity scores (0–100) per street and year from the weighted normalised indicators:
--   arithmetic (default): score = Σ weight × normalised_value;
--   geometric: score = (exp(Σ weight × ln(1 + 0.99 n)) − 1) / 0.99, i.e. the weighted geometric
--       mean of values shifted onto 1–100 (so a 0 does not zero the whole score), mapped back.
-- No counting indicator → no score.

{%- set aggregation = scoring_option('scoring_aggregation') %}

with weighted as (
    select * from {{ ref('int_indicator__weighted') }}
),

street_years as (
    select street_code, year from {{ ref('int_street_year__population') }}
),

capacities as (
    select capacity from {{ ref('capacity_framework') }}
),

scores as (
    select
        street_code,
        year,
        capacity,
        {%- if aggregation == 'arithmetic' %}
        sum(weight * normalised_value) filter (where counts_in_score) as score,
        {%- else %}
        (exp(sum(weight * ln(1.0 + 0.99 * normalised_value)) filter (where counts_in_score)) - 1.0) / 0.99 as score,
        {%- endif %}
        count(*) filter (where counts_in_score) as n_indicators_counted,
        count(*) filter (where counts_in_score and is_imputed) as n_indicators_imputed,
        count(*) filter (where counts_in_score and is_treated) as n_indicators_treated
    from weighted
    group by street_code, year, capacity
)

select
    street_years.street_code,
    street_years.year,
    capacities.capacity,
    case when coalesce(scores.n_indicators_counted, 0) > 0 then scores.score end as score,
    coalesce(scores.n_indicators_counted, 0) as n_indicators_counted,
    coalesce(scores.n_indicators_imputed, 0) as n_indicators_imputed,
    coalesce(scores.n_indicators_treated, 0) as n_indicators_treated,
    '{{ aggregation }}' as aggregation
from street_years
cross join capacities
left join scores using (street_code, year, capacity)
