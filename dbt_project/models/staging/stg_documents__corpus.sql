-- What the documents folder is: whether its documents are a generated sample corpus.
-- No row (a warehouse written before the table existed) counts as not a sample.

select
    coalesce(bool_or(is_sample), false) as is_sample_corpus,
    max(generator_version) as generator_version,
    max(note) as note
from {{ source('raw', 'corpus') }}
