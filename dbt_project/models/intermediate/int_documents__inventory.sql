-- Every file seen, with its final status. Extraction decides per file (extracted, partial,
-- failed, unidentified); here the corpus-level decisions are added:
--   duplicate  = the same bytes as an earlier path (unless unreadable: failures stay failed), or the same street/year/doc_type with the
--                same extracted figures as another copy (the same document uploaded twice);
--   superseded = an older publication of a street/year/doc_type that has a later one (a
--                corrected re-publication supersedes the earlier one; both are kept).

with documents as (
    select * from {{ ref('stg_documents__documents') }}
),

values_ as (
    select * from {{ ref('stg_documents__extracted_values') }}
),

fingerprints as (
    select
        source_file_sha256,
        md5(string_agg(field_id || '=' || coalesce({{ float_text('value') }}, ''), ';' order by field_id, value)) as values_fingerprint
    from values_
    group by source_file_sha256
),

with_fingerprint as (
    select documents.*, fingerprints.values_fingerprint
    from documents
    left join fingerprints using (source_file_sha256)
),

byte_duplicates as (
    select
        *,
        row_number() over (partition by source_file_sha256 order by source_path) as byte_copy_no,
        first_value(source_path) over (partition by source_file_sha256 order by source_path) as byte_original_path
    from with_fingerprint
),

content_duplicates as (
    select
        *,
        case
            when extraction_status in ('extracted', 'partial') and byte_copy_no = 1 and values_fingerprint is not null
                then row_number() over (
                    partition by street_code, year, doc_type, values_fingerprint, byte_copy_no = 1 and extraction_status in ('extracted', 'partial')
                    order by source_path
                )
        end as content_copy_no,
        first_value(source_path) over (
            partition by street_code, year, doc_type, values_fingerprint, byte_copy_no = 1 and extraction_status in ('extracted', 'partial')
            order by source_path
        ) as content_original_path
    from byte_duplicates
),

candidates as (
    -- readable, identified, not a copy: these compete to be the current publication
    select
        *,
        (extraction_status in ('extracted', 'partial') and byte_copy_no = 1 and coalesce(content_copy_no, 1) = 1) as is_candidate
    from content_duplicates
),

ranked as (
    select
        *,
        case when is_candidate then row_number() over (
            partition by street_code, year, doc_type, is_candidate
            order by is_correction desc, published_date desc nulls last, extraction_status = 'extracted' desc, source_path desc
        ) end as publication_rank,
        first_value(source_path) over (
            partition by street_code, year, doc_type, is_candidate
            order by is_correction desc, published_date desc nulls last, extraction_status = 'extracted' desc, source_path desc
        ) as current_path
    from candidates
),

final as (
    select
        source_file_sha256,
        source_path,
        file_name,
        file_format,
        size_bytes,
        doc_type,
        street_code,
        year,
        folder_street_code,
        folder_year,
        title,
        published_date,
        is_correction,
        n_pages,
        n_values,
        extraction_status,
        case
            when is_byte_duplicate then 'duplicate'
            when coalesce(content_copy_no, 1) > 1 then 'duplicate'
            when is_candidate and publication_rank > 1 then 'superseded'
            else extraction_status
        end as status,
        case
            when is_byte_duplicate then 'same bytes as ' || byte_original_path
            when coalesce(content_copy_no, 1) > 1 then 'same document and figures as ' || content_original_path
            when is_candidate and publication_rank > 1 then 'superseded by a later publication: ' || current_path
            else extraction_reason
        end as reason,
        folder_street_code is not null and street_code is not null and folder_street_code <> street_code as is_misfiled,
        folder_year is not null and year is not null and folder_year <> year as is_misfiled_year,
        extractor_version,
        extracted_at,
        issuer_name,
        content_format_mismatch,
        verification,
        checks_passed,
        checks_failed,
        verification_detail
    from (
        -- a failed file stays failed: two empty downloads are two failures, not a document and its copy
        select *, byte_copy_no > 1 and extraction_status <> 'failed' as is_byte_duplicate from ranked
    ) as ranked
)

select
    *,
    status in ('extracted', 'partial') as counts_for_scoring
from final
