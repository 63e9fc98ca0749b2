with source as (
    select * from {{ source('raw', 'street') }}
),

renamed as (
    select
        cast(street_code as varchar) as street_code,
        trim(street_name) as street_name,
        trim(district_name) as district_name,
        nullif(trim(district_code), '') as district_code,
        cast(area_km2 as double) as area_km2,
        nullif(trim(area_source), '') as area_source,
        name_variants
    from source
)

select * from renamed
