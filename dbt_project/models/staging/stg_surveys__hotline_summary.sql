-- 12345 hotline summaries: one row per street and year. n_effective is the number of callers
-- whose satisfaction was asked (回访样本量), or every closed request when the file does not say.

select
    street_code,
    name_as_written,
    cast(year as integer) as year,
    cast(requests_received as bigint) as requests_received,
    cast(requests_closed as bigint) as requests_closed,
    100.0 * requests_closed / nullif(requests_received, 0) as closure_rate_pct,
    cast(satisfaction_pct as {{ type_double() }}) as satisfaction_pct,
    cast(n_rated as bigint) as n_rated,
    cast(coalesce(n_rated, requests_closed) as bigint) as n_effective,
    n_rated is null as is_n_assumed,
    coalesce(is_publishable, false) as is_publishable,
    not_published_reason,
    coalesce(is_synthetic, false) as is_synthetic,
    note,
    source_file,
    source_file_sha256,
    source_row
from {{ source('raw', 'hotline_summary') }}
