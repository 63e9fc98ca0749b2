{# Fails with every group of `group_by` whose `column_name` values do not sum to 1 (± 1e-9), nulls ignored. #}
{% test sums_to_one(model, column_name, group_by) %}
select {{ group_by | join(', ') }}, sum({{ column_name }}) as total
from {{ model }}
where {{ column_name }} is not null
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }}) - 1) > 1e-9
{% endtest %}
