-- One row per street, year, capacity and source: what residents say, 0–100, with its 95% margin
-- of error. Never an input of the official scores (fct_capacity_score, fct_composite_score).
--   source survey         the share of respondents satisfied (capacity EXE … SAF, or ALL = overall)
--   source hotline_12345  the 12345 hotline's satisfaction rate, counted as public service (SRV)
-- moe = 100 · 1.96 · sqrt(p(1−p)/n) (Wald interval of a proportion), times the finite-population
-- correction sqrt((N−n)/(N−1)) with N the street's resident population when the dbt var
-- survey_fpc is true (off by default: with n in the hundreds and N in the tens of thousands it
-- changes the MOE by well under 1%). A sample below the loader's minimum (n < 100) is kept,
-- unpublished: resident_score and moe empty, not_published_reason says why.

with survey as (
    select
        street_code, year, capacity, 'survey' as source, satisfied_pct as share_pct, n, is_publishable,
        not_published_reason, is_synthetic, source_file, source_row, false as is_n_assumed,
        null::bigint as requests_received, null::bigint as requests_closed, cast(null as {{ type_double() }}) as closure_rate_pct
    from {{ ref('stg_surveys__resident_survey') }}
),

hotline as (
    select
        street_code, year, 'SRV' as capacity, 'hotline_12345' as source, satisfaction_pct as share_pct, n_effective as n,
        is_publishable, not_published_reason, is_synthetic, source_file, source_row, is_n_assumed,
        requests_received, requests_closed, closure_rate_pct
    from {{ ref('stg_surveys__hotline_summary') }}
),

unioned as (
    select * from survey
    union all
    select * from hotline
),

population as (
    select street_code, year, population from {{ ref('int_street_year__population') }}
),

streets as (
    select street_code, street_name, district_name from {{ ref('dim_street') }}
),

capacities as (
    select capacity, name_zh, name_en from {{ ref('capacity_framework') }}
    union all
    select 'ALL', '总体满意度', 'Overall satisfaction'
),

scored as (
    select
        unioned.*,
        population.population,
        {{ 'true' if var('survey_fpc') else 'false' }} and population.population > unioned.n as fpc_applied
    from unioned
    left join population using (street_code, year)
),

with_moe as (
    select
        *,
        100 * 1.96 * sqrt((share_pct / 100) * (1 - share_pct / 100) / n)
            * case when fpc_applied then sqrt((population - n) / (population - 1.0)) else 1 end as moe_all
    from scored
)

select
    with_moe.street_code,
    streets.street_name,
    streets.district_name,
    with_moe.year,
    with_moe.capacity,
    capacities.name_zh as capacity_name_zh,
    capacities.name_en as capacity_name_en,
    with_moe.source,
    case with_moe.source when 'survey' then '居民满意度调查 resident survey' else '12345热线 hotline' end as source_label,
    case when with_moe.is_publishable then with_moe.share_pct end as resident_score,
    case when with_moe.is_publishable then with_moe.moe_all end as moe,
    case when with_moe.is_publishable then greatest(0, with_moe.share_pct - with_moe.moe_all) end as ci_low,
    case when with_moe.is_publishable then least(100, with_moe.share_pct + with_moe.moe_all) end as ci_high,
    with_moe.n,
    with_moe.is_n_assumed,
    -- the hotline's volumes (empty for surveys)
    with_moe.requests_received,
    with_moe.requests_closed,
    with_moe.closure_rate_pct,
    with_moe.population,
    coalesce(with_moe.fpc_applied, false) as fpc_applied,
    with_moe.is_publishable as is_published,
    with_moe.not_published_reason,
    with_moe.is_synthetic,
    with_moe.source_file,
    with_moe.source_row
from with_moe
left join streets using (street_code)
left join capacities using (capacity)
