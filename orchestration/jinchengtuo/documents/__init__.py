"""The extraction library: read → identify → tables / prose → numbers (no Dagster here)."""

from jinchengtuo.documents.corpus import CorpusResult, extract_corpus, list_documents
from jinchengtuo.documents.extract import EXTRACTOR_VERSION, DocumentResult, extract_file

__all__ = ["EXTRACTOR_VERSION", "CorpusResult", "DocumentResult", "extract_corpus", "extract_file", "list_documents"]
