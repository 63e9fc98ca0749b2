-- The resources of a street and year, from its final accounts and work summary: establishment
-- staff present (实有人数), authorized posts, contract staff (编外), staff seconded upwards
-- (被借调), total spending and spending by function class (万元), each per resident and per km².
-- depends_on: {{ ref('field_catalog') }}

with measures as (
    select * from {{ ref('int_street_year__measures_pivoted') }}
),

population as (
    select * from {{ ref('int_street_year__population') }}
),

streets as (
    select * from {{ ref('dim_street') }}
)

select
    measures.street_code,
    measures.year,
    cast(population.population as {{ type_double() }}) as population,
    streets.area_km2,
    measures.fa_actual_staff as staff,
    measures.fa_authorized_posts as authorized_posts,
    coalesce(measures.fa_contract_staff, measures.ws_contract_staff) as contract_staff,
    measures.ws_seconded_staff as seconded_staff,
    measures.fa_actual_staff + coalesce(measures.fa_contract_staff, measures.ws_contract_staff) as staff_all,
    measures.fa_total_expenditure as spending,
    measures.fa_basic_expenditure as spending_basic,
    measures.fa_project_expenditure as spending_project,
    measures.fa_actual_staff * 10000 / nullif(population.population, 0) as staff_per_10k,
    (measures.fa_actual_staff + coalesce(measures.fa_contract_staff, measures.ws_contract_staff)) * 10000
        / nullif(population.population, 0) as staff_all_per_10k,
    measures.fa_actual_staff / nullif(streets.area_km2, 0) as staff_per_km2,
    measures.fa_total_expenditure * 10000 / nullif(population.population, 0) as spending_per_capita,
    measures.fa_total_expenditure / nullif(streets.area_km2, 0) as spending_per_km2
    {%- for f in catalog_fields() if f.startswith('fa_exp_') %},
    measures.{{ f }} as spending_{{ f[7:] }}
    {%- endfor %}
from measures
inner join population using (street_code, year)
inner join streets using (street_code)
