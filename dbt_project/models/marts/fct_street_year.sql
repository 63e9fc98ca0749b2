-- One row per street and observed year: population (estimated outside the census year), area
-- and density, and how many of the street's documents for the year count.
-- depends_on: {{ ref('indicator_framework') }}

with population as (
    select * from {{ ref('int_street_year__population') }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

inventory as (
    select * from {{ ref('int_documents__inventory') }}
),

-- context measures of the framework seed (CTX rows) and the money and staffing figures behind them
context as (
    select * from {{ ref('int_street_year__context') }}
),

documents_per_street_year as (
    select
        street_code,
        year,
        count(*) filter (where counts_for_scoring) as n_documents,
        count(distinct doc_type) filter (where counts_for_scoring) as n_doc_types
    from inventory
    where street_code is not null and year is not null
    group by street_code, year
),

final as (
    select
        population.street_code,
        population.year,
        streets.street_name,
        streets.district_name,
        cast(population.population as bigint) as population,
        population.is_population_estimated,
        population.is_population_sample,
        population.is_population_real,
        streets.area_km2,
        streets.is_area_real,
        population.population / nullif(streets.area_km2, 0) as density_per_km2,
        coalesce(documents_per_street_year.n_documents, 0) as n_documents,
        coalesce(documents_per_street_year.n_doc_types, 0) as n_doc_types
    from population
    inner join streets using (street_code)
    left join documents_per_street_year using (street_code, year)
)

select
    final.*,
    context.fa_total_expenditure,
    context.fa_authorized_posts,
    context.fa_actual_staff,
    context.contract_staff,
    context.seconded_staff,
    context.citizen_requests
    {%- for ind in framework_indicators() if ind.capacity == 'CTX' %},
    context.{{ ind.indicator_id | lower }}
    {%- endfor %}
from final
left join context using (street_code, year)
