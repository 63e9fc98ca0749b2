-- The five capacities (五种能力) and their weights in the composite score.

select
    capacity,
    name_zh,
    name_en,
    weight,
    description_zh,
    description_en,
    sort_order,
    methodology_version
from {{ ref('capacity_framework') }}
