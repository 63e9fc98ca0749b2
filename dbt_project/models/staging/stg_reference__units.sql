-- Every township-level unit of the national reference (raw.unit), typed and trimmed.

with source as (
    select * from {{ source('raw', 'unit') }}
),

renamed as (
    select
        cast(unit_code as varchar) as unit_code,
        trim(unit_name) as unit_name,
        unit_kind,
        peer_kind,
        cast(county_code as varchar) as county_code,
        trim(county_name) as county_name,
        cast(city_code as varchar) as city_code,
        trim(city_name) as city_name,
        trim(city_label) as city_label,
        cast(province_code as varchar) as province_code,
        trim(province_name) as province_name,
        coalesce(in_scope, false) as in_scope,
        scope,
        source_file
    from source
)

select * from renamed
