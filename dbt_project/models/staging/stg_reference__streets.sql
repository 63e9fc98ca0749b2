with source as (
    select * from {{ source('raw', 'street') }}
),

renamed as (
    select
        cast(street_code as varchar) as street_code,
        trim(street_name) as street_name,
        trim(district_name) as district_name,
        nullif(trim(district_code), '') as district_code,
        cast(area_km2 as {{ type_double() }}) as area_km2,
        nullif(trim(area_source), '') as area_source,
        -- real 2020 figures found in public sources (sources/reference/streets.csv, with sources)
        cast(population_2020 as bigint) as population_2020_reference,
        nullif(trim(population_source), '') as population_source,
        cast(communities as integer) as communities,
        nullif(trim(communities_source), '') as communities_source,
        nullif(trim(facts_note), '') as facts_note,
        name_variants
    from source
)

select * from renamed
