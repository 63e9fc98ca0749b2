-- Every file seen under sources/documents/, with street, year, doc_type, status and reason.
-- Nothing is dropped: failed, unidentified, duplicate and superseded files are listed too.

with inventory as (
    select * from {{ ref('int_documents__inventory') }}
),

streets as (
    select street_code, street_name, district_name from {{ ref('dim_street') }}
),

issues as (
    select
        source_file_sha256,
        count(*) filter (where severity = 'error') as n_errors,
        count(*) filter (where severity = 'warning') as n_warnings
    from {{ ref('stg_documents__extraction_issues') }}
    group by source_file_sha256
)

select
    inventory.source_path,
    inventory.file_name,
    inventory.file_format,
    inventory.size_bytes,
    inventory.source_file_sha256,
    inventory.doc_type,
    inventory.street_code,
    streets.street_name,
    streets.district_name,
    inventory.year,
    inventory.title,
    inventory.published_date,
    inventory.is_correction,
    inventory.is_misfiled,
    inventory.is_misfiled_year,
    inventory.folder_year,
    inventory.folder_street_code,
    inventory.n_pages,
    inventory.n_values,
    coalesce(issues.n_errors, 0) as n_errors,
    coalesce(issues.n_warnings, 0) as n_warnings,
    inventory.status,
    inventory.reason,
    inventory.counts_for_scoring,
    inventory.issuer_name,
    inventory.content_format_mismatch,
    inventory.verification,
    inventory.checks_passed,
    inventory.checks_failed,
    inventory.verification_detail,
    inventory.extractor_version,
    inventory.extracted_at
from inventory
left join streets using (street_code)
left join issues using (source_file_sha256)
