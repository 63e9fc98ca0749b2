-- What the documents folder is: whether its documents are a generated sample corpus.
-- No row (a warehouse written before the table existed) counts as not a sample.

select
    coalesce(bool_or(is_sample), false) as is_sample_corpus,
    max(generator_version) filter (where is_sample) as generator_version,
    max(note) filter (where is_sample) as note
from {{ source('raw', 'corpus') }}
