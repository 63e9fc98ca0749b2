-- The year's release gate (seeds/coverage_gates.csv): a year is published as a ranking only when
-- at least `year_min_ranked_share` of its streets have enough data (int_street_year__data_coverage),
-- at least `year_min_indicator_share` of the framework's scored indicators pass the coverage
-- screening and at least `year_min_capacities` capacities have an included indicator. Otherwise
-- its release_status is 'provisional' (暂定) and release_reason says which gate failed, with the
-- numbers. Counts are against the full framework, never against what was extracted.

with streets as (
    select
        year,
        count(*) as n_streets,
        count(*) filter (where has_enough_data) as n_streets_with_enough_data
    from {{ ref('int_street_year__data_coverage') }}
    group by year
),

framework as (
    select
        count(*) as n_framework_indicators,
        count(distinct capacity) as n_framework_capacities
    from {{ ref('indicator_framework') }}
    where capacity <> 'CTX'
),

indicators as (
    select
        year,
        count(*) filter (where is_included) as n_indicators_included,
        count(distinct capacity) filter (where is_included) as n_capacities_covered,
        string_agg(distinct capacity, ', ' order by capacity) filter (where not is_included) as capacities_with_excluded
    from {{ ref('int_indicator__coverage') }}
    group by year
),

measured as (
    select
        streets.year,
        streets.n_streets,
        streets.n_streets_with_enough_data,
        cast(streets.n_streets_with_enough_data as {{ type_double() }}) / streets.n_streets as ranked_share,
        framework.n_framework_indicators,
        coalesce(indicators.n_indicators_included, 0) as n_indicators_included,
        cast(coalesce(indicators.n_indicators_included, 0) as {{ type_double() }}) / framework.n_framework_indicators as indicator_share,
        framework.n_framework_capacities,
        coalesce(indicators.n_capacities_covered, 0) as n_capacities_covered,
        {{ coverage_gate('year_min_ranked_share') }} as min_ranked_share,
        {{ coverage_gate('year_min_indicator_share') }} as min_indicator_share,
        {{ coverage_gate('year_min_capacities') }} as min_capacities
    from streets
    cross join framework
    left join indicators using (year)
)

select
    *,
    ranked_share >= min_ranked_share and indicator_share >= min_indicator_share
        and n_capacities_covered >= min_capacities as is_full_ranking,
    case
        when ranked_share >= min_ranked_share and indicator_share >= min_indicator_share
            and n_capacities_covered >= min_capacities then 'ranking'
        else 'provisional'
    end as release_status,
    nullif(concat_ws('; ',
        case when ranked_share < min_ranked_share
            then n_streets_with_enough_data || ' / ' || n_streets || ' 个街道数据充足 streets have enough data ('
                || {{ round_to('100.0 * ranked_share', 0) }}::integer || '%, rule ≥ ' || {{ round_to('100.0 * min_ranked_share', 0) }}::integer || '%)' end,
        case when indicator_share < min_indicator_share
            then n_indicators_included || ' / ' || n_framework_indicators || ' 项指标通过覆盖率筛查 indicators pass the coverage screening ('
                || {{ round_to('100.0 * indicator_share', 0) }}::integer || '%, rule ≥ ' || {{ round_to('100.0 * min_indicator_share', 0) }}::integer || '%)' end,
        case when n_capacities_covered < min_capacities
            then n_capacities_covered || ' / ' || n_framework_capacities || ' 项能力有计分指标 capacities have an included indicator (rule ≥ '
                || min_capacities::integer || ')' end
    ), '') as release_reason
from measured
