-- The 74 street offices: one row each, with the official code, district, area and the name
-- variants used to match documents.

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
        census.population_census as population_2020,
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

select * from final
