"""Rows to import: a source's field definitions, CSV and JSON parsing, validation with line numbers.

Validation is compiled once per import into one small function per field, so that a batch of
100,000 rows costs about ten microseconds a row; nothing here touches the database.
"""

from qinqing.datahub.rows.fields import (
    FIELD_TYPES,
    FieldSpec,
    SourceDefinitionError,
    field_specs,
    json_value,
    typed_value,
)
from qinqing.datahub.rows.parsing import Table, parse, parse_csv, parse_json
from qinqing.datahub.rows.validation import USCC_COLUMN, CleanRow, RowValidator

__all__ = [
    "FIELD_TYPES", "USCC_COLUMN", "CleanRow", "FieldSpec", "RowValidator", "SourceDefinitionError", "Table",
    "field_specs", "json_value", "parse", "parse_csv", "parse_json", "typed_value",
]
