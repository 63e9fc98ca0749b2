-- One row per scored year: the year's coverage gates (seeds/coverage_gates.csv) and whether it
-- is published as a ranking or as provisional, with the reason (see int_year__coverage_gates).

select
    gates.*,
    (select max(methodology_version) from {{ ref('coverage_gates') }}) as framework_version
from {{ ref('int_year__coverage_gates') }} as gates
