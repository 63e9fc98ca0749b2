-- The governance demand measures (dbt_project/seeds/demand_framework.csv), one row per street,
-- year and measure: the raw value of the seed's expression, its transform (log, log1p or
-- identity), the z-score of the transformed value across the year's streets that have it, and
-- whether the street's inputs of the measure are real (not the synthetic sample).
-- depends_on: {{ ref('demand_framework') }}

with inputs as (
    select * from {{ ref('int_street_year__demand_inputs') }}
),

framework as (
    select * from {{ ref('demand_framework') }}
),

raw_values as (
    {%- for m in demand_measures() %}
    {% if not loop.first %}union all{% endif %}
    select
        street_code,
        year,
        '{{ m.measure_id }}' as measure_id,
        cast({{ m.expression_sql }} as {{ type_double() }}) as raw_value,
        {% for c in m.context_inputs %}real_{{ c }}{% if not loop.last %} and {% endif %}{% endfor %} as is_real
    from inputs
    {%- endfor %}
    {%- if not demand_measures() %}
    select null::varchar as street_code, null::integer as year, null::varchar as measure_id,
           cast(null as {{ type_double() }}) as raw_value, null::boolean as is_real
    where false
    {%- endif %}
),

transformed as (
    select
        raw_values.*,
        framework.measure_group,
        framework.transform,
        framework.weight,
        framework.required,
        framework.demand_version,
        case
            when framework.transform = 'log' and raw_values.raw_value > 0 then ln(raw_values.raw_value)
            when framework.transform = 'log1p' and raw_values.raw_value >= 0 then ln(1 + raw_values.raw_value)
            when framework.transform = 'identity' then raw_values.raw_value
        end as transformed_value
    from raw_values
    inner join framework using (measure_id)
),

standardised as (
    select
        *,
        avg(transformed_value) over (partition by year, measure_id) as year_mean,
        stddev_samp(transformed_value) over (partition by year, measure_id) as year_sd,
        count(transformed_value) over (partition by year, measure_id) as year_n
    from transformed
)

select
    street_code,
    year,
    measure_id,
    measure_group,
    raw_value,
    transform,
    transformed_value,
    year_mean,
    year_sd,
    year_n,
    -- a measure fewer than 3 streets have, or that does not vary, standardises to nothing
    case when year_n >= 3 and year_sd > 0 then (transformed_value - year_mean) / year_sd end as z_score,
    weight,
    required,
    is_real,
    demand_version
from standardised
