{# Fails with every group of `group_by` whose row count is not `expected`. #}
{% test rows_per_group(model, group_by, expected) %}
select {{ group_by }}, count(*) as n_rows
from {{ model }}
group by {{ group_by }}
having count(*) <> {{ expected }}
{% endtest %}
