-- Outlier treatment, per year and indicator, as COINr's winsorise() does it:
-- the values fail when |skewness| >= `winsor_skew_threshold` (2) AND kurtosis >=
-- `winsor_kurtosis_threshold` (3.5) (sample skewness and excess kurtosis, Excel/e1071 type 2,
-- needing at least 4 values). While they fail and fewer than `winsor_max_points` (5) values
-- have been changed: if skewness >= 0 every value equal to the maximum is set to the next lower
-- distinct value, else every value equal to the minimum to the next higher one. Values still
-- failing after that are left as they are (reported). Every changed value is flagged.
-- Treatment runs on the year's values only, so later years never change earlier ones.

{%- set skew_t = scoring_option('winsor_skew_threshold') %}
{%- set kurt_t = scoring_option('winsor_kurtosis_threshold') %}
{%- set max_points = scoring_option('winsor_max_points') | int %}

with imputed as (
    select * from {{ ref('int_indicator__imputed') }}
),

step_0 as (
    select street_code, year, indicator_id, value as original_value, value as v
    from imputed
    where value is not null
),

{%- for k in range(max_points) %}

stats_{{ k }} as (
    select
        year,
        indicator_id,
        count(*) as n,
        {{ skewness_of('v') }} as skew,
        {{ kurtosis_of('v') }} as kurt,
        max(v) as max_v,
        min(v) as min_v,
        count(*) filter (where v <> original_value) as n_changed
    from step_{{ k }}
    group by year, indicator_id
),

limits_{{ k }} as (
    select
        stats_{{ k }}.*,
        max(step_{{ k }}.v) filter (where step_{{ k }}.v < stats_{{ k }}.max_v) as next_lower,
        min(step_{{ k }}.v) filter (where step_{{ k }}.v > stats_{{ k }}.min_v) as next_higher,
        stats_{{ k }}.n >= 4
            and stats_{{ k }}.skew is not null and stats_{{ k }}.kurt is not null
            and not {{ is_nan('stats_' ~ k ~ '.skew') }} and not {{ is_nan('stats_' ~ k ~ '.kurt') }}
            and abs(stats_{{ k }}.skew) >= {{ skew_t }} and stats_{{ k }}.kurt >= {{ kurt_t }}
            and stats_{{ k }}.n_changed < {{ max_points }} as winsorise
    from stats_{{ k }}
    inner join step_{{ k }} using (year, indicator_id)
    group by stats_{{ k }}.year, stats_{{ k }}.indicator_id, stats_{{ k }}.n, stats_{{ k }}.skew, stats_{{ k }}.kurt,
        stats_{{ k }}.max_v, stats_{{ k }}.min_v, stats_{{ k }}.n_changed
),

step_{{ k + 1 }} as (
    select
        step_{{ k }}.street_code,
        step_{{ k }}.year,
        step_{{ k }}.indicator_id,
        step_{{ k }}.original_value,
        case
            when limits_{{ k }}.winsorise and limits_{{ k }}.skew >= 0
                and step_{{ k }}.v = limits_{{ k }}.max_v and limits_{{ k }}.next_lower is not null
                then limits_{{ k }}.next_lower
            when limits_{{ k }}.winsorise and limits_{{ k }}.skew < 0
                and step_{{ k }}.v = limits_{{ k }}.min_v and limits_{{ k }}.next_higher is not null
                then limits_{{ k }}.next_higher
            else step_{{ k }}.v
        end as v
    from step_{{ k }}
    inner join limits_{{ k }} using (year, indicator_id)
),
{%- endfor %}

before_stats as (
    select year, indicator_id, {{ skewness_of('original_value') }} as skewness_before, {{ kurtosis_of('original_value') }} as kurtosis_before
    from step_0
    group by year, indicator_id
),

after_stats as (
    select
        year,
        indicator_id,
        {{ skewness_of('v') }} as skewness_after,
        {{ kurtosis_of('v') }} as kurtosis_after,
        count(*) filter (where v <> original_value) as n_treated
    from step_{{ max_points }}
    group by year, indicator_id
)

select
    imputed.street_code,
    imputed.year,
    imputed.indicator_id,
    imputed.capacity,
    imputed.district_name,
    imputed.raw_value,
    imputed.is_included,
    imputed.value as imputed_value,
    imputed.is_imputed,
    imputed.imputation_method,
    imputed.imputed_from_year,
    treated.v as treated_value,
    coalesce(treated.v <> treated.original_value, false) as is_treated,
    before_stats.skewness_before,
    before_stats.kurtosis_before,
    after_stats.skewness_after,
    after_stats.kurtosis_after,
    coalesce(after_stats.n_treated, 0) as n_treated_in_year
from imputed
left join step_{{ max_points }} as treated using (street_code, year, indicator_id)
left join before_stats using (year, indicator_id)
left join after_stats using (year, indicator_id)
