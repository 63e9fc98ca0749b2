-- One value per street, year and measure, from the documents that count for scoring, with its
-- provenance (file, page, sentence). Three kinds of measure:
--   extracted  the fields of documents whose inventory status counts (extracted / partial);
--              duplicates and superseded publications never count;
--   doc_<type> 1 when a counting document of the type exists for the street and year, else 0;
--   population and area_km2, the denominators of per-resident and per-km² indicators.
-- When one document states a field more than once, the first statement (lowest page, then text)
-- is kept and the number of statements and of distinct values is recorded.

with inventory as (
    select * from {{ ref('int_documents__inventory') }}
),

extracted_values as (
    select * from {{ ref('stg_documents__extracted_values') }}
),

population as (
    select * from {{ ref('int_street_year__population') }}
),

streets as (
    select * from {{ ref('dim_street') }}
),

counting_documents as (
    select source_file_sha256, source_path, doc_type, street_code, year
    from inventory
    where counts_for_scoring and street_code is not null and year is not null
),

document_values as (
    select
        counting_documents.street_code,
        counting_documents.year,
        extracted_values.field_id,
        extracted_values.value,
        extracted_values.unit,
        counting_documents.doc_type,
        counting_documents.source_file_sha256,
        counting_documents.source_path,
        extracted_values.source_page,
        extracted_values.source_text,
        extracted_values.extraction_method
    from extracted_values
    inner join counting_documents using (source_file_sha256)
    where extracted_values.value is not null
),

document_values_ranked as (
    select
        *,
        row_number() over (
            partition by street_code, year, field_id
            order by source_page nulls last, source_text, source_path
        ) as statement_no,
        count(*) over (partition by street_code, year, field_id) as n_statements,
        -- the distinct values of the field (count(distinct) is no window function on every engine; values are not null here)
        dense_rank() over (partition by street_code, year, field_id order by value)
            + dense_rank() over (partition by street_code, year, field_id order by value desc) - 1 as n_distinct_values
    from document_values
),

extracted as (
    select
        street_code, year, field_id, value, unit, 'extracted' as measure_origin, doc_type,
        source_file_sha256, source_path, source_page, source_text, extraction_method,
        n_statements, n_distinct_values
    from document_values_ranked
    where statement_no = 1
),

street_years as (
    select street_code, year from population
),

doc_types as (
    select doc_type from (values ('final_accounts'), ('budget'), ('info_disclosure'), ('rule_of_law'), ('work_summary')) as doc_types (doc_type)
),

presence as (
    select
        street_years.street_code,
        street_years.year,
        'doc_' || doc_types.doc_type as field_id,
        case when count(counting_documents.source_file_sha256) > 0 then 1.0 else 0.0 end as value,
        '0/1' as unit,
        'derived' as measure_origin,
        doc_types.doc_type,
        min(counting_documents.source_file_sha256) as source_file_sha256,
        string_agg(counting_documents.source_path, '; ' order by counting_documents.source_path) as source_path,
        cast(null as integer) as source_page,
        case
            when count(counting_documents.source_file_sha256) > 0 then 'published: a counting ' || doc_types.doc_type || ' document'
            else 'no counting ' || doc_types.doc_type || ' document for the street and year'
        end as source_text,
        'document inventory' as extraction_method,
        count(counting_documents.source_file_sha256) as n_statements,
        cast(1 as bigint) as n_distinct_values
    from street_years
    cross join doc_types
    left join counting_documents
        on counting_documents.street_code = street_years.street_code
        and counting_documents.year = street_years.year
        and counting_documents.doc_type = doc_types.doc_type
    group by street_years.street_code, street_years.year, doc_types.doc_type
),

population_measure as (
    select
        population.street_code,
        population.year,
        'population' as field_id,
        cast(population.population as {{ type_double() }}) as value,
        '人' as unit,
        'derived' as measure_origin,
        'census' as doc_type,
        cast(null as varchar) as source_file_sha256,
        streets.census_source_file as source_path,
        cast(null as integer) as source_page,
        case
            when population.is_population_estimated
                then 'estimated: census share of the district scaled by the district population of the year'
            else 'census count'
        end as source_text,
        'int_street_year__population' as extraction_method,
        cast(1 as bigint) as n_statements,
        cast(1 as bigint) as n_distinct_values
    from population
    inner join streets using (street_code)
    where population.population is not null
),

area_measure as (
    select
        street_years.street_code,
        street_years.year,
        'area_km2' as field_id,
        streets.area_km2 as value,
        'km2' as unit,
        'derived' as measure_origin,
        'reference' as doc_type,
        cast(null as varchar) as source_file_sha256,
        streets.area_source as source_path,
        cast(null as integer) as source_page,
        'street land area' as source_text,
        'dim_street' as extraction_method,
        cast(1 as bigint) as n_statements,
        cast(1 as bigint) as n_distinct_values
    from street_years
    inner join streets using (street_code)
    where streets.area_km2 is not null
),

final as (
    select * from extracted
    union all
    select * from presence
    union all
    select * from population_measure
    union all
    select * from area_measure
)

select
    *,
    n_distinct_values > 1 as has_conflicting_statements
from final
