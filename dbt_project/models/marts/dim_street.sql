-- The 74 street offices: one row each, with the official code, district, area and the name
-- variants used to match documents.
-- Context figures, real first: a real census extract (not synthetic) wins, then the real figures
-- of the reference data (sources/reference/streets.csv, each with its source), then the
-- synthetic sample. Every figure says whether it is real (is_*_real) and where it comes from.

with streets as (
    select * from {{ ref('stg_reference__streets') }}
),

census as (
    select * from {{ ref('stg_census__street_population') }}
),

final as (
    select
        streets.street_code,
        streets.street_name,
        streets.district_name,
        streets.district_code,
        coalesce(streets.area_km2, census.area_km2_census) as area_km2,
        case
            when streets.area_km2 is not null then streets.area_source
            when census.area_km2_census is not null and census.is_synthetic then 'synthetic sample (' || census.source_file || ')'
            when census.area_km2_census is not null then census.source_file
        end as area_source,
        streets.area_km2 is null and coalesce(census.is_synthetic, false) as is_area_synthetic,
        case
            when census.population_census is not null and not census.is_synthetic then census.population_census
            else coalesce(streets.population_2020_reference, census.population_census)
        end as population_2020,
        case
            when census.population_census is not null and not census.is_synthetic then census.source_file
            when streets.population_2020_reference is not null then streets.population_source
            when census.population_census is not null then 'synthetic sample (' || census.source_file || ')'
        end as population_source,
        (census.population_census is not null and not census.is_synthetic)
            or streets.population_2020_reference is not null as is_population_real,
        streets.area_km2 is not null
            or (census.area_km2_census is not null and not coalesce(census.is_synthetic, false)) as is_area_real,
        streets.communities,
        streets.communities_source,
        streets.communities is not null as is_communities_real,
        streets.facts_note,
        census.households as households_2020,
        census.pop_0_14_pct,
        census.pop_60_plus_pct,
        census.pop_65_plus_pct,
        census.migrant_pct,
        coalesce(census.is_synthetic, false) as is_census_synthetic,
        census.source_file as census_source_file,
        streets.name_variants
    from streets
    left join census using (street_code)
)

select
    *,
    -- per street, in words: which context figures are real and which synthetic
    nullif(concat_ws(', ',
        case when is_population_real then '人口 population' end,
        case when is_area_real then '面积 area' end,
        case when is_communities_real then '社区数 communities' end
    ), '') as real_context,
    nullif(concat_ws(', ',
        case when population_2020 is not null and not is_population_real then '人口 population' end,
        case when is_area_synthetic then '面积 area' end,
        case when is_census_synthetic then '年龄结构 age shares, 流动人口 migrant share, 家庭户 households' end
    ), '') as synthetic_context
from final
