-- Base weight of every included indicator in every year, inside its capacity (sums to 1 over
-- the capacity's included indicators), by the chosen scheme:
--   expert (default): the framework's default_weight;
--   equal: 1 for every indicator;
--   entropy (熵权法): p = n / Σn over the year's streets, e = -Σ p ln p / ln m (m streets with a
--       value), weight ∝ d = 1 - e (d < 1e-12 counts as 0; m < 2 or Σn = 0 gives d = 0);
--   critic: weight ∝ C = σ Σ_k (1 - r_k), σ the population sd of the normalised values, r_k the
--       Pearson correlation with each other included indicator of the capacity over the streets
--       having both (0 when undefined: fewer than 2 pairs or an sd below 1e-9).
-- When a capacity's weights sum to (almost) nothing (≤ 1e-9), its indicators weigh equally.
-- Entropy and CRITIC use the year's normalised values only, so later years never change them.

-- depends_on: {{ ref('int_indicator__coverage') }}
{%- set scheme = scoring_option('scoring_weighting') %}
{#- entropy and CRITIC need values of at least two streets for every included indicator-year: refused, never replaced #}
{%- if execute and scheme in ('entropy', 'critic') and load_relation(ref('int_indicator__coverage')) is not none %}
    {%- set lacking = run_query("select year || ' ' || indicator_id || ' (' || n_with_value || ')' from "
        ~ ref('int_indicator__coverage') ~ " where is_included and n_with_value < 2 order by year, indicator_id").columns[0].values() | list %}
    {%- if lacking | length > 0 %}
        {{ exceptions.raise_compiler_error("scoring option scoring_weighting=" ~ scheme ~ " cannot be applied: it needs values of at least "
            ~ "two streets for every included indicator-year, and " ~ lacking | length ~ " have fewer (year, indicator, streets with values: "
            ~ lacking[:5] | join('; ') ~ (' …' if lacking | length > 5 else '') ~ "); choose another weighting or screen them out with min_indicator_coverage") }}
    {%- endif %}
{%- endif %}

with normalised as (
    select * from {{ ref('int_indicator__normalised') }}
    where normalised_value is not null
),

framework as (
    select indicator_id, capacity, default_weight from {{ ref('indicator_framework') }}
),

indicator_years as (
    select distinct year, indicator_id, capacity from normalised
),

entropy as (
    select
        year,
        indicator_id,
        count(*) as m,
        sum(normalised_value) as total
    from normalised
    group by year, indicator_id
),

entropy_terms as (
    select
        entropy.year,
        entropy.indicator_id,
        entropy.m,
        entropy.total,
        sum(case when normalised.normalised_value > 0 and entropy.total > 0
                 then (normalised.normalised_value / entropy.total) * ln(normalised.normalised_value / entropy.total)
                 else 0 end) as sum_plogp
    from entropy
    inner join normalised using (year, indicator_id)
    group by entropy.year, entropy.indicator_id, entropy.m, entropy.total
),

entropy_weights as (
    select
        year,
        indicator_id,
        case
            when m < 2 or total <= 0 then 0.0
            when 1.0 - (-sum_plogp / ln(m)) < 1e-12 then 0.0
            else 1.0 - (-sum_plogp / ln(m))
        end as raw_weight
    from entropy_terms
),

critic_sd as (
    select year, indicator_id, stddev_pop(normalised_value) as sd
    from normalised
    group by year, indicator_id
),

critic_pairs as (
    select
        a.year,
        a.indicator_id,
        b.indicator_id as other_indicator_id,
        count(*) as n_pairs,
        covar_pop(a.normalised_value, b.normalised_value) as cov_ab,
        stddev_pop(a.normalised_value) as sd_a,
        stddev_pop(b.normalised_value) as sd_b
    from normalised as a
    inner join normalised as b
        on b.street_code = a.street_code
        and b.year = a.year
        and b.capacity = a.capacity
        and b.indicator_id <> a.indicator_id
    group by a.year, a.indicator_id, b.indicator_id
),

critic_conflict as (
    select
        year,
        indicator_id,
        sum(1.0 - case
            when n_pairs >= 2 and sd_a >= 1e-9 and sd_b >= 1e-9 then cov_ab / (sd_a * sd_b)
            else 0.0 end) as conflict
    from critic_pairs
    group by year, indicator_id
),

critic_weights as (
    select
        critic_sd.year,
        critic_sd.indicator_id,
        case
            when critic_sd.sd * coalesce(critic_conflict.conflict, 0.0) < 1e-12 then 0.0
            else critic_sd.sd * coalesce(critic_conflict.conflict, 0.0)
        end as raw_weight
    from critic_sd
    left join critic_conflict using (year, indicator_id)
),

raw_weights as (
    select
        indicator_years.year,
        indicator_years.indicator_id,
        indicator_years.capacity,
        {%- if scheme == 'expert' %}
        framework.default_weight as raw_weight
        {%- elif scheme == 'equal' %}
        1.0 as raw_weight
        {%- elif scheme == 'entropy' %}
        entropy_weights.raw_weight
        {%- else %}
        critic_weights.raw_weight
        {%- endif %}
    from indicator_years
    inner join framework using (indicator_id)
    left join entropy_weights using (year, indicator_id)
    left join critic_weights using (year, indicator_id)
),

capacity_totals as (
    select year, capacity, sum(raw_weight) as total, count(*) as n_indicators
    from raw_weights
    group by year, capacity
)

select
    raw_weights.year,
    raw_weights.indicator_id,
    raw_weights.capacity,
    raw_weights.raw_weight,
    case
        when capacity_totals.total > 1e-9 then raw_weights.raw_weight / capacity_totals.total
        else 1.0 / capacity_totals.n_indicators
    end as base_weight,
    '{{ scheme }}' as weighting
from raw_weights
inner join capacity_totals using (year, capacity)
