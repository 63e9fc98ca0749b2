-- One row per scored year: which inputs of the year's release are synthetic or a sample, the one
-- place every published page, file and chart reads its 示例数据 SAMPLE DATA label from.
--   sample corpus      raw.corpus: the documents were generated (sources/truth/corpus.json);
--   synthetic census   raw.census_street.is_synthetic: street populations (so every per-resident
--                      indicator, the population and density) are synthetic;
--   sample population  raw.district_population.is_sample for the year (the district totals that
--                      scale the census to other years);
--   synthetic areas    dim_street.is_area_synthetic: areas (density, per-km² figures) synthetic.

with years as (
    select distinct year from {{ ref('int_street_year__population') }}
),

corpus as (
    select * from {{ ref('stg_documents__corpus') }}
),

streets as (
    select
        coalesce(bool_or(is_census_synthetic), false) as is_census_synthetic,
        count(*) filter (where is_census_synthetic) as n_streets_census_synthetic,
        coalesce(bool_or(is_area_synthetic), false) as is_area_synthetic,
        count(*) filter (where is_area_synthetic) as n_streets_area_synthetic
    from {{ ref('dim_street') }}
),

population as (
    select year, coalesce(bool_or(is_population_sample), false) as is_population_sample
    from {{ ref('int_street_year__population') }}
    group by year
),

flags as (
    select
        years.year,
        corpus.is_sample_corpus,
        corpus.generator_version as sample_generator_version,
        streets.is_census_synthetic,
        streets.n_streets_census_synthetic,
        coalesce(population.is_population_sample, false) as is_population_sample,
        streets.is_area_synthetic,
        streets.n_streets_area_synthetic
    from years
    cross join corpus
    cross join streets
    left join population using (year)
)

select
    *,
    is_sample_corpus or is_census_synthetic or is_population_sample or is_area_synthetic as is_sample_data,
    -- what is synthetic, in words (empty when nothing is)
    nullif(concat_ws('; ',
        case when is_sample_corpus then '示例文件 sample corpus: the documents are generated, not published by the street offices' end,
        case when is_census_synthetic then '合成人口普查 synthetic census: street populations, hence population, density and every per-resident indicator' end,
        case when is_population_sample then '示例区人口 sample district population: the yearly district totals that scale the census' end,
        case when is_area_synthetic then '合成面积 synthetic areas (' || n_streets_area_synthetic || ' streets): area, density and per-km² figures' end
    ), '') as synthetic_inputs,
    case when is_sample_corpus or is_census_synthetic or is_population_sample or is_area_synthetic
        then '示例数据 SAMPLE DATA' end as sample_label
from flags
