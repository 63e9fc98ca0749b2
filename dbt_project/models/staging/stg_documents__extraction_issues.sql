with source as (
    select * from {{ source('raw', 'extraction_issue') }}
),

renamed as (
    select
        source_file_sha256,
        source_path,
        lower(severity) as severity,
        code as issue_code,
        message,
        source_page,
        field_id
    from source
)

select * from renamed
