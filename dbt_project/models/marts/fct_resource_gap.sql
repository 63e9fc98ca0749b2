-- Demand against resources (需求与资源), one row per street and year: the governance demand
-- index, the street's establishment staff and spending, what the city's streets with the same
-- demand have (expected), the gap and a flag.
--
-- The model, per year and resource (staff = 实有人数, spending = 本年支出合计 万元), fitted across
-- the streets with a demand index and a positive figure:
--     ln(actual) = a + b · ln(demand_index) + e                    (ordinary least squares)
--     expected   = exp(a + b · ln(demand_index))                   (the geometric-mean expectation)
--     band       = exp(a + b·x ± t · s · sqrt(1 + 1/n + (x - x̄)² / Sxx))   (prediction interval)
-- s is the residual standard error (n - 2 degrees of freedom), t the Student t quantile of the
-- band level (demand_model seed; normal quantile by Abramowitz & Stegun 26.2.23, then the
-- Cornish-Fisher expansion in 1/df). A street above the band is over-resourced (资源偏多),
-- below it under-resourced (资源不足). The simpler reading beside it: the city median of
-- actual / demand_index times the street's demand index. Without the inputs, nulls and a reason.
-- depends_on: {{ ref('field_catalog') }}

with demand as (
    select * from {{ ref('int_street_year__demand') }}
),

resources as (
    select * from {{ ref('int_street_year__resources') }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

street_years as (
    select street_code, year, is_population_real, is_population_sample
    from {{ ref('int_street_year__population') }}
),

long as (
    select street_code, year, 'staff' as resource, staff as actual from resources
    union all
    select street_code, year, 'spending' as resource, spending as actual from resources
),

points as (
    select
        long.street_code,
        long.year,
        long.resource,
        long.actual,
        demand.demand_index,
        ln(demand.demand_index) as x,
        case when long.actual > 0 then ln(long.actual) end as y
    from long
    inner join demand using (street_code, year)
),

fit_line as (
    select
        year,
        resource,
        regr_count(y, x) as n_fit,
        regr_slope(y, x) as slope,
        regr_intercept(y, x) as intercept,
        regr_r2(y, x) as r2,
        regr_avgx(y, x) as x_mean,
        regr_sxx(y, x) as x_sxx
    from points
    where x is not null and y is not null
    group by year, resource
),

residuals as (
    select
        points.year,
        points.resource,
        sum(power(points.y - (fit_line.intercept + fit_line.slope * points.x), 2)) as sse,
        {{ median_of('points.actual / points.demand_index') }} as median_ratio
    from points
    inner join fit_line using (year, resource)
    where points.x is not null and points.y is not null
    group by points.year, points.resource
),

fit as (
    select
        fit_line.*,
        sqrt(residuals.sse / nullif(fit_line.n_fit - 2, 0)) as rse,
        residuals.median_ratio
    from fit_line
    inner join residuals using (year, resource)
),

-- the t quantile of the band: normal quantile z for p = (1 - level) / 2 (A&S 26.2.23, error
-- < 4.5e-4), then t = z + (z³+z)/(4ν) + (5z⁵+16z³+3z)/(96ν²) + (3z⁷+19z⁵+17z³-15z)/(384ν³)
band as (
    select
        level,
        u - (2.515517 + 0.802853 * u + 0.010328 * u * u) / (1 + 1.432788 * u + 0.189269 * u * u + 0.001308 * u * u * u) as z
    from (
        select level, sqrt(-2 * ln((1 - level) / 2)) as u
        from (select {{ demand_parameter('band_level') }} as level) as parameter
    ) as quantile_input
),

fit_t as (
    select
        fit.*,
        band.level as band_level,
        band.z
            + (power(band.z, 3) + band.z) / (4 * nullif(n_fit - 2, 0))
            + (5 * power(band.z, 5) + 16 * power(band.z, 3) + 3 * band.z) / (96 * nullif(power(n_fit - 2, 2), 0))
            + (3 * power(band.z, 7) + 19 * power(band.z, 5) + 17 * power(band.z, 3) - 15 * band.z) / (384 * nullif(power(n_fit - 2, 3), 0))
            as t_quantile,
        n_fit >= {{ demand_parameter('min_fit_streets') }} as is_fit_usable
    from fit
    cross join band
),

gaps as (
    select
        points.street_code,
        points.year,
        points.resource,
        points.actual,
        points.x,
        points.y,
        fit_t.n_fit,
        fit_t.r2,
        fit_t.slope,
        fit_t.intercept,
        fit_t.rse,
        fit_t.band_level,
        case when fit_t.is_fit_usable then fit_t.intercept + fit_t.slope * points.x end as log_expected,
        case when fit_t.is_fit_usable
            then fit_t.t_quantile * fit_t.rse * sqrt(1 + 1.0 / fit_t.n_fit + power(points.x - fit_t.x_mean, 2) / fit_t.x_sxx)
        end as log_half_width,
        case when fit_t.is_fit_usable then fit_t.median_ratio * points.demand_index end as expected_median_ratio,
        case
            when points.x is null then 'no demand index'
            when fit_t.n_fit is null or not fit_t.is_fit_usable
                then 'too few streets to fit (' || coalesce(fit_t.n_fit, 0) || ' < ' || cast({{ demand_parameter('min_fit_streets') }} as integer) || ')'
            when points.actual is null then 'no figure in the documents'
            when points.actual <= 0 then 'figure not positive'
        end as reason
    from points
    left join fit_t using (year, resource)
),

gaps_final as (
    select
        *,
        exp(log_expected) as expected,
        exp(log_expected - log_half_width) as expected_lower,
        exp(log_expected + log_half_width) as expected_upper,
        case when reason is null then actual - exp(log_expected) end as gap,
        case when reason is null then actual / exp(log_expected) - 1 end as gap_pct,
        case
            when reason is not null then null
            when y < log_expected - log_half_width then 'under_resourced'
            when y > log_expected + log_half_width then 'over_resourced'
            else 'within_band'
        end as flag
    from gaps
),

wide as (
    select
        street_code,
        year
        {%- for r in ['staff', 'spending'] %}
        {%- for c in ['actual', 'expected', 'expected_lower', 'expected_upper', 'expected_median_ratio', 'gap', 'gap_pct', 'flag', 'reason', 'n_fit', 'r2', 'slope', 'intercept', 'rse'] %},
        max({{ c }}) filter (where resource = '{{ r }}') as {{ r }}_{{ c }}
        {%- endfor %}
        {%- endfor %},
        max(band_level) as band_level
    from gaps_final
    group by street_code, year
)

select
    street_years.street_code,
    street_years.year,
    streets.street_name,
    streets.district_name,
    demand.demand_index,
    demand.demand_score,
    demand.demand_coverage,
    demand.n_measures as demand_n_measures,
    demand.demand_reason,
    resources.population,
    resources.area_km2,
    {%- for r in ['staff', 'spending'] %}
    {%- for c in ['actual', 'expected', 'expected_lower', 'expected_upper', 'expected_median_ratio', 'gap', 'gap_pct', 'flag', 'reason', 'n_fit', 'r2', 'slope', 'intercept', 'rse'] %}
    wide.{{ r }}_{{ c }},
    {%- endfor %}
    {%- endfor %}
    wide.band_level,
    resources.contract_staff,
    resources.seconded_staff,
    resources.staff_all,
    resources.authorized_posts,
    resources.staff_per_10k,
    resources.staff_all_per_10k,
    resources.staff_per_km2,
    resources.spending_per_capita,
    resources.spending_per_km2,
    resources.spending_basic,
    resources.spending_project,
    -- spending by function class (万元; 201 一般公共服务 … 224 灾害防治及应急管理)
    {%- for f in catalog_fields() if f.startswith('fa_exp_') %}
    resources.spending_{{ f[7:] }},
    {%- endfor %}
    -- which context figures are real, per street (never mistake the sample for census data)
    coalesce(street_years.is_population_real, false) as is_population_real,
    coalesce(streets.is_area_real, false) as is_area_real,
    coalesce(streets.is_communities_real, false) as is_communities_real,
    not coalesce(streets.is_census_synthetic, true) as is_census_shares_real,
    coalesce(demand.is_demand_synthetic, true) as is_demand_synthetic,
    demand.demand_real_share,
    demand.synthetic_measures as demand_synthetic_measures,
    coalesce(streets.is_population_real, false) as is_population_real_2020,
    -- in words, for this year: a 2020 figure scaled to another year by sample district totals is
    -- not real, by real totals it is an estimate from real figures
    nullif(concat_ws(', ',
        case
            when coalesce(street_years.is_population_real, false) then '人口 population (census)'
            when coalesce(streets.is_population_real, false) and not coalesce(street_years.is_population_sample, false)
                then '人口 population (estimated from the real 2020 census figure)'
        end,
        case when coalesce(streets.is_area_real, false) then '面积 area' end,
        case when coalesce(streets.is_communities_real, false) then '社区数 communities' end
    ), '') as real_context,
    nullif(concat_ws(', ',
        case
            when coalesce(street_years.is_population_real, false) then null
            when coalesce(streets.is_population_real, false) and coalesce(street_years.is_population_sample, false)
                then '人口 population (the real 2020 figure scaled by sample district totals)'
            when not coalesce(streets.is_population_real, false) then '人口 population'
        end,
        case when coalesce(streets.is_area_synthetic, false) then '面积 area' end,
        case when coalesce(streets.is_census_synthetic, false) then '年龄结构 age shares, 流动人口 migrant share, 家庭户 households' end
    ), '') as synthetic_context,
    demand.demand_version as model_version
from street_years
inner join streets using (street_code)
left join demand using (street_code, year)
left join resources using (street_code, year)
left join wide using (street_code, year)
