with source as (
    select * from {{ source('raw', 'district') }}
),

renamed as (
    select
        trim(district_name) as district_name,
        nullif(trim(district_code), '') as district_code,
        cast(area_km2 as {{ type_double() }}) as area_km2,
        cast(population_2020_census as bigint) as population_2020_census,
        population_source,
        area_source
    from source
)

select * from renamed
