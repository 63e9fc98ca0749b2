-- Context measures per street and year, one column per CTX row of the framework seed
-- (lower-cased indicator id, e.g. ctx_spending_per_capita), plus the raw money and staffing
-- figures behind them. They are published in marts.fct_street_year, not scored: they show
-- demand against resources (the seed's three findings: area vs population, uneven staffing,
-- uneven spending).
-- depends_on: {{ ref('indicator_framework') }}

with raw_values as (
    select * from {{ ref('int_indicator__raw_values') }}
    where capacity = 'CTX'
),

measures as (
    select * from {{ ref('int_street_year__measures_pivoted') }}
),

context as (
    select
        street_code,
        year
        {%- for ind in framework_indicators() if ind.capacity == 'CTX' %},
        max(raw_value) filter (where indicator_id = '{{ ind.indicator_id }}') as {{ ind.indicator_id | lower }}
        {%- endfor %}
    from raw_values
    group by street_code, year
)

select
    measures.street_code,
    measures.year,
    measures.fa_total_expenditure,
    measures.fa_authorized_posts,
    measures.fa_actual_staff,
    coalesce(measures.fa_contract_staff, measures.ws_contract_staff) as contract_staff,
    measures.ws_seconded_staff as seconded_staff,
    measures.ws_citizen_requests as citizen_requests
    {%- for ind in framework_indicators() if ind.capacity == 'CTX' %}
    {%- if loop.first %},{% endif %}
    context.{{ ind.indicator_id | lower }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from measures
left join context using (street_code, year)
