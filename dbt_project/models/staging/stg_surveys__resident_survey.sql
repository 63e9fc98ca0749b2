-- Resident satisfaction surveys (source type resident_survey): one row per street, year and
-- capacity surveyed (capacity ALL = overall satisfaction), as loaded from sources/surveys/.
-- Rows whose sample is too small to publish are here with is_publishable false and the reason.

select
    street_code,
    name_as_written,
    cast(year as integer) as year,
    upper(capacity) as capacity,
    cast(satisfied_pct as {{ type_double() }}) as satisfied_pct,
    cast(n as integer) as n,
    surveyor,
    method,
    coalesce(is_publishable, false) as is_publishable,
    not_published_reason,
    coalesce(is_synthetic, false) as is_synthetic,
    note,
    source_file,
    source_file_sha256,
    source_row
from {{ source('raw', 'resident_survey') }}
