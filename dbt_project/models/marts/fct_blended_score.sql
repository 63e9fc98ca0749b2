{#- A blended score, only when a user asks for one: dbt var two_way_blend_weight = the residents'
    weight w in (0, 1] (default 0: off, this mart is empty). blended = (1 − w) · official composite
    + w · resident composite, ranked on its own. It is a separate, labelled output with its weights
    in every row; the official ranking (fct_composite_score) never reads it. -#}
{%- set w = var('two_way_blend_weight') | float -%}
{%- if w < 0 or w > 1 -%}
    {{ exceptions.raise_compiler_error("two_way_blend_weight must be within 0–1 (the residents' weight), got " ~ w) }}
{%- endif %}

with composite as (
    select * from {{ ref('fct_two_way') }}
    where measure = 'composite' {% if w == 0 %}and false{% endif %}
),

blended as (
    select
        street_code, street_name, district_name, year,
        official_score as official_composite,
        official_rank,
        resident_score as resident_composite,
        resident_moe,
        cast({{ 1 - w }} as {{ type_double() }}) as official_weight,
        cast({{ w }} as {{ type_double() }}) as resident_weight,
        {{ 1 - w }} * official_score + {{ w }} * resident_score as blended_score,
        is_synthetic
    from composite
)

select
    *,
    rank() over (partition by year order by floor(blended_score * 1000000 + 0.5) desc) as blended_rank,
    '混合得分 blended score (official ' || official_weight || ' · residents ' || resident_weight
        || '): a user-configured view, not the official ranking' as label
from blended
