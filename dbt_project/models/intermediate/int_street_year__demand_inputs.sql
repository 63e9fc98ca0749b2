-- The inputs of the demand index, one row per street and observed year: the context figures
-- (population, area, census shares, communities) and every measure of the field catalog (the
-- caseload the documents show), with a flag per kind of context input saying whether the
-- street's figure is real. Expressions of the demand framework seed read these columns.
-- depends_on: {{ ref('field_catalog') }}

with population as (
    select * from {{ ref('int_street_year__population') }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

measures as (
    select * from {{ ref('int_street_year__measures_pivoted') }}
),

corpus as (
    select coalesce(bool_or(is_sample_corpus), false) as is_sample_corpus from {{ ref('stg_documents__corpus') }}
)

select
    population.street_code,
    population.year,
    cast(population.population as {{ type_double() }}) as population,
    streets.area_km2,
    streets.pop_0_14_pct,
    streets.pop_60_plus_pct,
    streets.pop_65_plus_pct,
    streets.migrant_pct,
    cast(streets.communities as {{ type_double() }}) as communities_reference,
    {#- every measure column; a measure named as a column above gets the suffix _1 (its name in DuckDB's `measures.*`) #}
    {%- for field_id in catalog_fields() %}
    measures.{{ field_id }}{% if field_id in ['street_code', 'year', 'population', 'area_km2', 'pop_0_14_pct', 'pop_60_plus_pct',
        'pop_65_plus_pct', 'migrant_pct', 'communities_reference'] %} as {{ field_id }}_1{% endif %},
    {%- endfor %}
    -- is each kind of context input real for this street and year?
    coalesce(streets.is_population_real, false) and not coalesce(population.is_population_sample, false) as real_population,
    coalesce(streets.is_area_real, false) as real_area,
    not coalesce(streets.is_census_synthetic, true) as real_census_shares,
    streets.communities is not null
        or (measures.ws_communities is not null and not corpus.is_sample_corpus) as real_communities,
    not corpus.is_sample_corpus as real_documents
from population
inner join streets using (street_code)
left join measures using (street_code, year)
cross join corpus
