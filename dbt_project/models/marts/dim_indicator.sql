-- The indicator framework as analysts read it: one row per indicator (scored and context),
-- with names, formula, direction, expert weight and the methodology version.

with framework as (
    select * from {{ ref('indicator_framework') }}
),

capacities as (
    select capacity, name_zh as capacity_name_zh, name_en as capacity_name_en from {{ ref('capacity_framework') }}
)

select
    framework.indicator_id,
    framework.capacity,
    capacities.capacity_name_zh,
    capacities.capacity_name_en,
    framework.name_zh,
    framework.name_en,
    framework.formula,
    framework.unit,
    framework.direction,
    framework.default_weight as weight,
    case when framework.capacity = 'CTX' then null
         else framework.default_weight / sum(case when framework.capacity <> 'CTX' then framework.default_weight end)
            over (partition by framework.capacity)
    end as weight_in_capacity,
    framework.capacity <> 'CTX' as is_scored,
    framework.zero_denominator_rule,
    framework.source_fields,
    framework.expression_sql,
    framework.rationale,
    framework.sort_order,
    framework.methodology_version
from framework
left join capacities using (capacity)
