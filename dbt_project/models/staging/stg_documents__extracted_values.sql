with source as (
    select * from {{ source('raw', 'extracted_value') }}
),

renamed as (
    select
        source_file_sha256,
        doc_type,
        street_code,
        cast(year as integer) as year,
        field_id,
        cast(value as {{ type_double() }}) as value,
        unit,
        source_page,
        source_text,
        method as extraction_method
    from source
)

select * from renamed
