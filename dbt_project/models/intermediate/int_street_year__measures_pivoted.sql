-- One row per street and observed year with one column per measure of the field catalog seed
-- (null when the street-year has no value). Indicator expressions read these columns.
-- depends_on: {{ ref('field_catalog') }}

with measures as (
    select * from {{ ref('int_street_year__measures') }}
),

street_years as (
    select street_code, year, district_name from {{ ref('int_street_year__population') }}
),

pivoted as (
    select
        street_code,
        year
        {%- for field_id in catalog_fields() %},
        max(value) filter (where field_id = '{{ field_id }}') as {{ field_id }}
        {%- endfor %}
    from measures
    group by street_code, year
)

select
    street_years.street_code,
    street_years.year,
    street_years.district_name
    {%- for field_id in catalog_fields() %},
    pivoted.{{ field_id }}
    {%- endfor %}
from street_years
left join pivoted using (street_code, year)
