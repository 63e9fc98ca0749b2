with source as (
    select * from {{ source('raw', 'district_population') }}
),

renamed as (
    select
        trim(district_name) as district_name,
        cast(year as integer) as year,
        cast(population as bigint) as district_population,
        coalesce(is_sample, false) as is_sample,
        source,
        source_file
    from source
)

select * from renamed
