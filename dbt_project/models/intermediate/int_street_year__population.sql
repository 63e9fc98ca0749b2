-- Resident population of every street in every observed year.
-- The census year keeps the census figure; other years scale the street's census share of its
-- district by the district's population for that year, and are flagged as estimated.

with streets as (
    select * from {{ ref('stg_reference__streets') }}
),

-- the 2020 base, real first: a real census extract, else a real figure of the reference data
-- (streets.csv, with its source), else the synthetic sample
census as (
    select
        census.street_code,
        census.name_as_written,
        census.households,
        census.pop_0_14_pct,
        census.pop_60_plus_pct,
        census.pop_65_plus_pct,
        census.migrant_pct,
        census.area_km2_census,
        census.is_synthetic,
        census.source_file,
        census.source_file_sha256,
        census.source_row,
        case
            when not census.is_synthetic then census.population_census
            else coalesce(streets.population_2020_reference, census.population_census)
        end as population_census,
        not census.is_synthetic or streets.population_2020_reference is not null as is_census_population_real
    from {{ ref('stg_census__street_population') }} as census
    left join {{ ref('stg_reference__streets') }} as streets using (street_code)
),

district_population as (
    select * from {{ ref('stg_census__district_population') }}
),

-- whether there is a district table at all: the Shenzhen scope requires one; outside it the
-- table is optional, and without one a unit carries its census figure into the other years,
-- flagged estimated and sample
no_district_totals as (
    select not exists (select 1 from district_population) as carried
),

documents as (
    select * from {{ ref('stg_documents__documents') }}
),

-- the years observed: years that documents report on; without any document, the years of the
-- district population table
document_years as (
    select distinct year from documents where year is not null
),

years as (
    select year from document_years
    union
    select distinct year from district_population
    where not exists (select 1 from document_years)
),

census_shares as (
    select
        census.street_code,
        streets.district_name,
        census.population_census,
        census.is_census_population_real,
        cast(census.population_census as {{ type_double() }}) / sum(census.population_census) over (partition by streets.district_name) as district_share
    from census
    inner join streets using (street_code)
),

scaled as (
    select
        streets.street_code,
        years.year,
        streets.district_name,
        census_shares.population_census,
        census_shares.district_share,
        district_population.district_population,
        case
            when years.year = {{ var('census_year') }} then census_shares.population_census
            when no_district_totals.carried then census_shares.population_census
            else {{ round_to('census_shares.district_share * district_population.district_population') }}
        end as population,
        years.year <> {{ var('census_year') }} as is_population_estimated,
        -- the year's figure is a real census figure (the census year, real base)
        years.year = {{ var('census_year') }} and coalesce(census_shares.is_census_population_real, false) as is_population_real,
        (coalesce(district_population.is_sample, false) or no_district_totals.carried)
            and years.year <> {{ var('census_year') }} as is_population_sample
    from streets
    cross join years
    left join census_shares using (street_code)
    cross join no_district_totals
    left join district_population
        on district_population.district_name = streets.district_name
        and district_population.year = years.year
)

select * from scaled
