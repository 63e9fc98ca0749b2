-- The two-way view: one row per street, year and measure (a capacity, or composite) that has both
-- an official score and a published resident score. It sits beside the official ranking and never
-- feeds it (fct_composite_score does not read it).
--   resident score   the survey's share satisfied for the capacity; for SRV without a survey the
--                    12345 hotline; for composite the survey's overall satisfaction (ALL), else
--                    the capacity-weighted mean of at least three surveyed capacities (MOE
--                    sqrt(Σ w²·moe²)/Σ w, independent samples)
--   quadrant         split at the city medians of the year and measure over the streets that have
--                    both scores (a score equal to the median counts as high): both_high,
--                    official_high_residents_low, official_low_residents_high, both_low
--   disagreement     the two scores are standardised across those streets (z = (x − mean) / sd);
--                    the resident score the official one predicts is mean_r + z_official · sd_r;
--                    a street disagrees when its resident score is further from that than its
--                    margin of error, |gap_points| > moe (i.e. |z_resident − z_official| > moe / sd_r:
--                    not sampling error), and the two standings differ by at least
--                    var two_way_min_gap_sd standard deviations (default 1.5: a substantive difference,
--                    not a nuance). Needs at least 5 streets with both scores in the year and measure.

{%- set min_gap = var('two_way_min_gap_sd') | float %}

with resident as (
    select * from (
        select
            *,
            row_number() over (
                partition by street_code, year, capacity order by case source when 'survey' then 1 else 2 end) as source_no
        from {{ ref('fct_resident_score') }}
        where resident_score is not null
    ) as scores
    where source_no = 1
),

capacities as (
    select capacity, weight from {{ ref('capacity_framework') }}
),

resident_capacity as (
    select street_code, year, capacity as measure, resident_score, moe, n, source, is_synthetic
    from resident where capacity <> 'ALL'
),

derived_overall as (
    select
        street_code, year, 'composite' as measure,
        {{ round_to('sum(capacities.weight * resident_score) / sum(capacities.weight)', 6) }} as resident_score,
        sqrt(sum(capacities.weight * capacities.weight * moe * moe)) / sum(capacities.weight) as moe,
        min(n) as n,
        'survey_capacities' as source,
        bool_or(is_synthetic) as is_synthetic
    from resident_capacity
    inner join capacities on capacities.capacity = resident_capacity.measure
    where resident_capacity.source = 'survey'
    group by street_code, year
    having count(*) >= 3
),

resident_overall as (
    select street_code, year, 'composite' as measure, resident_score, moe, n, source, is_synthetic
    from resident where capacity = 'ALL'
    union all
    select * from derived_overall
    where not exists (
        select 1 from resident r where r.capacity = 'ALL' and r.street_code = derived_overall.street_code and r.year = derived_overall.year)
),

residents as (
    select * from resident_capacity
    union all
    select * from resident_overall
),

official as (
    select street_code, year, capacity as measure, score as official_score, rank as official_rank
    from {{ ref('fct_capacity_score') }} where score is not null
    union all
    select street_code, year, 'composite', composite_score, rank
    from {{ ref('fct_composite_score') }} where composite_score is not null
),

joined as (
    select official.*, residents.resident_score, residents.moe as resident_moe, residents.n, residents.source as resident_source,
           residents.is_synthetic
    from official
    inner join residents using (street_code, year, measure)
),

stats as (
    select
        year, measure,
        count(*) as n_streets,
        {{ median_of('official_score') }} as official_median,
        {{ median_of('resident_score') }} as resident_median,
        avg(official_score) as official_mean,
        stddev_samp(official_score) as official_sd,
        avg(resident_score) as resident_mean,
        stddev_samp(resident_score) as resident_sd
    from joined
    group by year, measure
),

standardised as (
    select
        joined.*,
        stats.n_streets, stats.official_median, stats.resident_median, stats.resident_sd,
        case when stats.n_streets >= 5 and stats.official_sd > 0 then (official_score - official_mean) / official_sd end as z_official,
        case when stats.n_streets >= 5 and stats.resident_sd > 0 then (resident_score - resident_mean) / resident_sd end as z_resident,
        -- compared at 6 decimals, as the ranks are: a weighted mean is never a hair below its median
        {{ round_to('official_score', 6) }} >= {{ round_to('stats.official_median', 6) }} as is_official_high,
        {{ round_to('resident_score', 6) }} >= {{ round_to('stats.resident_median', 6) }} as is_resident_high
    from joined
    inner join stats using (year, measure)
),

streets as (
    select street_code, street_name, district_name from {{ ref('dim_street') }}
),

measures as (
    select capacity as measure, name_zh as measure_name_zh, name_en as measure_name_en, sort_order from {{ ref('capacity_framework') }}
    union all
    select 'composite', '综合', 'Composite', 0
)

select
    standardised.street_code,
    streets.street_name,
    streets.district_name,
    standardised.year,
    standardised.measure,
    measures.measure_name_zh,
    measures.measure_name_en,
    measures.sort_order,
    standardised.official_score,
    standardised.official_rank,
    standardised.resident_score,
    standardised.resident_moe,
    standardised.n,
    standardised.resident_source,
    standardised.n_streets,
    standardised.official_median,
    standardised.resident_median,
    case
        when is_official_high and is_resident_high then 'both_high'
        when is_official_high then 'official_high_residents_low'
        when is_resident_high then 'official_low_residents_high'
        else 'both_low'
    end as quadrant,
    case
        when is_official_high and is_resident_high then '双高 both high'
        when is_official_high then '官评高·居民低 official high, residents low'
        when is_resident_high then '官评低·居民高 official low, residents high'
        else '双低 both low'
    end as quadrant_label,
    standardised.z_official,
    standardised.z_resident,
    standardised.z_resident - standardised.z_official as gap_z,
    standardised.resident_moe / nullif(standardised.resident_sd, 0) as moe_z,
    -- what the official score predicts (mean_r + z_official · sd_r) and the resident score's distance from it
    standardised.resident_score - (standardised.z_resident - standardised.z_official) * standardised.resident_sd as expected_resident_score,
    (standardised.z_resident - standardised.z_official) * standardised.resident_sd as gap_points,
    case when standardised.z_resident is not null and standardised.z_official is not null
        then abs(standardised.z_resident - standardised.z_official) * standardised.resident_sd > standardised.resident_moe
             and abs(standardised.z_resident - standardised.z_official) >= {{ min_gap }} end as is_disagreement,
    case
        when standardised.z_resident is null or standardised.z_official is null then null
        when abs(standardised.z_resident - standardised.z_official) * standardised.resident_sd <= standardised.resident_moe then null
        when abs(standardised.z_resident - standardised.z_official) < {{ min_gap }} then null
        when standardised.z_resident < standardised.z_official then 'residents_lower'
        else 'residents_higher'
    end as disagreement_direction,
    cast({{ min_gap }} as {{ type_double() }}) as min_gap_sd,
    'city_median' as quadrant_split,
    standardised.is_synthetic
from standardised
left join streets using (street_code)
left join measures using (measure)
