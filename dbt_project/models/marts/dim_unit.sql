-- The unit hierarchy: every township-level unit of China (province → city → county/district →
-- township-level unit), one row each, from the national reference (sources/reference/national/).
-- in_scope marks the units this warehouse observes (JCT_SCOPE; the default shenzhen scope is the
-- 74 streets of dim_street, which stays the Shenzhen view). is_shenzhen_street: the unit is one of
-- dim_street's 74 streets.

with units as (
    select * from {{ ref('stg_reference__units') }}
),

streets as (
    select street_code from {{ ref('stg_reference__streets') }}
)

select
    units.unit_code,
    units.unit_name,
    units.unit_kind,
    case units.unit_kind
        when 'street' then '街道 street'
        when 'town' then '镇 town'
        when 'township' then '乡 township'
        else '其他 other'
    end as unit_kind_label,
    units.peer_kind,
    case units.peer_kind
        when 'street' then '街道 streets'
        when 'town' then '镇乡 towns'
        else '其他 other units'
    end as peer_kind_label,
    units.county_code,
    units.county_name,
    units.city_code,
    units.city_name,
    units.city_label,
    units.province_code,
    units.province_name,
    units.province_name
        || case when units.city_label = units.province_name then '' else units.city_label end
        || units.county_name || units.unit_name as full_name,
    units.in_scope,
    units.scope,
    streets.street_code is not null as is_shenzhen_street,
    units.source_file
from units
left join streets on streets.street_code = units.unit_code
