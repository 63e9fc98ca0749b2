-- The method of this build as one logged object (COINr logs every step's arguments the same way):
-- one row per scoring option of dbt_project/seeds/scoring_options.csv — every option, not only
-- those that differ from their default — with the value the run used. Together with the
-- framework seeds and the raw values (marts.fct_indicator_value.raw_value) it regenerates every
-- published score: jinchengtuo.scoring.ScoringOptions.from_records(rows) gives the options.

with options as (
    {{ scoring_option_rows_sql() }}
),

defaults as (
    select dbt_var as option, default_value, label_zh, label_en, description_zh from {{ ref('scoring_options') }}
)

select
    {{ methodology_version_sql() }} as methodology_version,
    options.step,
    options.option,
    options.value,
    defaults.default_value,
    options.is_default,
    defaults.label_zh,
    defaults.label_en,
    options.description,
    defaults.description_zh,
    options.sort_order
from options
left join defaults using (option)
order by options.sort_order
