-- Peer-group ranks: the composite score of marts.fct_composite_score ranked again inside peer
-- groups, streets (街道) and towns (镇 and 乡) apart, within the city, the province and the
-- country. One row per unit in scope, year and level (city / province / national). Only units in
-- the warehouse's scope are ranked (dim_unit.in_scope): for the Shenzhen scope each of the three
-- groups is the 74 streets, so every peer rank equals fct_composite_score.rank.
-- n_in_group counts the units ranked in the group; n_units_in_group those of the group in scope
-- with a composite row; n_units_in_reference those of the same kind in the whole national
-- reference (so a rank among 74 of Guangdong's 482 streets says so). Ties as in
-- fct_composite_score: equal scores to 1e-6 share a rank and the next rank is skipped.

with units as (
    select * from {{ ref('dim_unit') }}
),

scores as (
    select street_code as unit_code, year, composite_score, is_ranked
    from {{ ref('fct_composite_score') }}
),

scored as (
    select
        units.unit_code, units.unit_name, units.unit_kind, units.peer_kind,
        units.city_code, units.city_label, units.province_code, units.province_name,
        scores.year, scores.composite_score, coalesce(scores.is_ranked, false) as is_ranked
    from scores
    inner join units on units.unit_code = scores.unit_code and units.in_scope
),

levels as (
    select 'city' as peer_level, 1 as level_order
    union all select 'province', 2
    union all select 'national', 3
),

grouped as (
    select
        scored.*,
        levels.peer_level,
        levels.level_order,
        case levels.peer_level when 'city' then scored.city_code when 'province' then scored.province_code else 'CN' end as peer_group_code,
        case levels.peer_level when 'city' then scored.city_label when 'province' then scored.province_name else '全国' end as peer_group_name
    from scored
    cross join levels
),

reference as (
    select peer_kind, 'city' as peer_level, city_code as peer_group_code, count(*) as n_units_in_reference
    from units group by peer_kind, city_code
    union all
    select peer_kind, 'province', province_code, count(*) from units group by peer_kind, province_code
    union all
    select peer_kind, 'national', 'CN', count(*) from units group by peer_kind
),

ranked as (
    select
        grouped.*,
        case when is_ranked then rank() over (
            partition by year, peer_kind, peer_level, peer_group_code, is_ranked
            order by floor(composite_score * 1000000 + 0.5) desc) end as rank,
        case when is_ranked then count(*) over (
            partition by year, peer_kind, peer_level, peer_group_code, is_ranked, floor(composite_score * 1000000 + 0.5)) > 1 end as is_tied,
        sum(case when is_ranked then 1 else 0 end) over (partition by year, peer_kind, peer_level, peer_group_code) as n_in_group,
        count(*) over (partition by year, peer_kind, peer_level, peer_group_code) as n_units_in_group
    from grouped
)

select
    ranked.unit_code,
    ranked.unit_name,
    ranked.unit_kind,
    ranked.year,
    ranked.peer_kind,
    ranked.peer_level,
    ranked.peer_kind || ':' || ranked.peer_level || ':' || ranked.peer_group_code as peer_group,
    ranked.peer_group_code,
    ranked.peer_group_name,
    ranked.composite_score,
    ranked.is_ranked,
    ranked.rank,
    ranked.is_tied,
    ranked.n_in_group,
    ranked.n_units_in_group,
    reference.n_units_in_reference
from ranked
left join reference
    on reference.peer_kind = ranked.peer_kind
    and reference.peer_level = ranked.peer_level
    and reference.peer_group_code = ranked.peer_group_code
order by ranked.year, ranked.level_order, ranked.peer_kind, ranked.peer_group_code, ranked.rank nulls last, ranked.unit_code
