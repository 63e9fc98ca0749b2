with source as (
    select * from {{ source('raw', 'document') }}
),

renamed as (
    select
        source_file_sha256,
        source_path,
        file_name,
        size_bytes,
        lower(file_format) as file_format,
        doc_type,
        street_code,
        cast(year as integer) as year,
        folder_street_code,
        cast(folder_year as integer) as folder_year,
        title,
        published_date,
        coalesce(is_correction, false) as is_correction,
        n_pages,
        coalesce(n_values, 0) as n_values,
        status as extraction_status,
        reason as extraction_reason,
        extractor_version,
        extracted_at,
        issuer_name,
        content_format_mismatch,
        coalesce(verification, 'unverifiable') as verification,
        coalesce(checks_passed, 0) as checks_passed,
        coalesce(checks_failed, 0) as checks_failed,
        verification_detail
    from source
)

select * from renamed
