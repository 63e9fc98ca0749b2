with source as (
    select * from {{ source('raw', 'census_street') }}
),

renamed as (
    select
        street_code,
        name_as_written,
        cast(population as bigint) as population_census,
        cast(households as bigint) as households,
        pop_0_14_pct,
        pop_60_plus_pct,
        pop_65_plus_pct,
        migrant_pct,
        area_km2 as area_km2_census,
        coalesce(is_synthetic, false) as is_synthetic,
        source_file,
        source_file_sha256,
        source_row
    from source
)

select * from renamed
