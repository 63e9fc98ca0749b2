-- Imputation of missing raw values of included indicators, by a stated order:
--   1. own_previous_year: the street's own raw value from the nearest earlier year, at most
--      `impute_max_gap_years` back (earlier years only, so adding a later year never changes
--      an earlier year's values);
--   2. district_median: the median raw value of the street's district in the same year;
--   3. city_median: the median raw value of all streets in the same year.
-- Donors are always raw (never imputed) values. Every imputed value is flagged with its method.
-- Excluded indicator-years (coverage screening) get no value.
-- With `scoring_imputation` = off nothing is imputed: a missing raw value stays missing and the
-- street's weights renormalise over the indicators it has (as for any indicator that does not count).

{%- set max_gap = scoring_option('impute_max_gap_years') | int %}
{%- set imputation_on = scoring_option('scoring_imputation') != 'off' %}

with raw_values as (
    select * from {{ ref('int_indicator__raw_values') }}
    where capacity <> 'CTX'
),

coverage as (
    select * from {{ ref('int_indicator__coverage') }}
),

streets as (
    select street_code, district_name from {{ ref('dim_street') }}
),

base as (
    select
        raw_values.street_code,
        raw_values.year,
        raw_values.indicator_id,
        raw_values.capacity,
        streets.district_name,
        raw_values.raw_value,
        coverage.is_included
    from raw_values
    inner join streets using (street_code)
    inner join coverage using (year, indicator_id)
),

own_previous as (
    select
        missing.street_code,
        missing.year,
        missing.indicator_id,
        {{ arg_max_of('donor.raw_value', 'donor.year') }} as donor_value,
        max(donor.year) as donor_year
    from base as missing
    inner join base as donor
        on donor.street_code = missing.street_code
        and donor.indicator_id = missing.indicator_id
        and donor.year < missing.year
        and donor.year >= missing.year - {{ max_gap }}
        and donor.raw_value is not null
    where missing.raw_value is null
    group by missing.street_code, missing.year, missing.indicator_id
),

district_median as (
    select year, indicator_id, district_name, {{ median_of('raw_value') }} as district_median
    from base
    where raw_value is not null
    group by year, indicator_id, district_name
),

city_median as (
    select year, indicator_id, {{ median_of('raw_value') }} as city_median
    from base
    where raw_value is not null
    group by year, indicator_id
),

final as (
    select
        base.street_code,
        base.year,
        base.indicator_id,
        base.capacity,
        base.district_name,
        base.raw_value,
        base.is_included,
        case
            when not base.is_included then null
            when base.raw_value is not null then base.raw_value
            {%- if not imputation_on %}
            else null
            {%- else %}
            when own_previous.donor_value is not null then own_previous.donor_value
            when district_median.district_median is not null then district_median.district_median
            else city_median.city_median
            {%- endif %}
        end as value,
        case
            when not base.is_included or base.raw_value is not null then null
            {%- if imputation_on %}
            when own_previous.donor_value is not null then 'own_previous_year'
            when district_median.district_median is not null then 'district_median'
            when city_median.city_median is not null then 'city_median'
            {%- endif %}
        end::varchar as imputation_method,
        case
            when {{ 'true' if imputation_on else 'false' }} and base.is_included and base.raw_value is null
                and own_previous.donor_value is not null
                then own_previous.donor_year
        end as imputed_from_year
    from base
    left join own_previous using (street_code, year, indicator_id)
    left join district_median using (year, indicator_id, district_name)
    left join city_median using (year, indicator_id)
)

select
    *,
    imputation_method is not null as is_imputed
from final
