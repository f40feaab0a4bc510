"""Ingest: mapping files, readers and the bulk loader."""

from mdm.ingest.errors import IngestError
from mdm.ingest.loader import LoadResult, load_file, prepare_rows
from mdm.ingest.mapping import Mapping, load_mapping
from mdm.ingest.readers import SourceTable, read_source

__all__ = ["IngestError", "LoadResult", "Mapping", "SourceTable", "load_file", "load_mapping", "prepare_rows", "read_source"]
