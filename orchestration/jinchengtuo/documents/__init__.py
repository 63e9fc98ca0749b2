"""The extraction library: read → identify → tables / prose → numbers (no Dagster here)."""

from jinchengtuo.documents.extract import EXTRACTOR_VERSION, CorpusResult, DocumentResult, extract_corpus, extract_file

__all__ = ["EXTRACTOR_VERSION", "CorpusResult", "DocumentResult", "extract_corpus", "extract_file"]
