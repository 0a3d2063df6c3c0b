"""Whole-registry matching: the per-record JSONLogic conditions compiled to Polars or to SQL.

`engine.evaluate` decides one enterprise at a time. Publishing or simulating a policy asks the
same question of every enterprise, so the same conditions are compiled here, once, into a Polars
expression over a columnar snapshot of facts (one row per enterprise, one column per fact named
like "annual.rd_spend") or into a bound-parameter SQL expression over such a table. The answers
are exactly the evaluator's (checked by a property test over random conditions and facts):

- a condition whose declared facts are not all known (None or "") is unknown → null;
- an expression the evaluator would raise on (division by zero, `min` of nothing) → null;
- otherwise JSONLogic truthiness of the result → true / false.

Compilation is typed by the snapshot's columns ("num" or "str"). Expressions whose JSONLogic
meaning depends on loose coercion (a number compared with a string, `cat`, `substr`, `%`,
`missing`) are not compiled: Polars falls back to the evaluator row by row for that condition
(exact, slower), and SQL raises `Unsupported` so the caller matches that policy with Polars.
"""

from qinqing.rules.batch.frames import (
    condition_expr,
    eligible_expr,
    nest,
    outcomes,
    schema_of,
    value_expr,
    value_of,
)
from qinqing.rules.batch.nodes import NUM, STR, Unsupported, build
from qinqing.rules.batch.sql import SqlFragment, sql_condition, sql_eligible, sql_value

__all__ = [
    "NUM", "STR", "SqlFragment", "Unsupported", "build", "condition_expr", "eligible_expr", "nest", "outcomes",
    "schema_of", "sql_condition", "sql_eligible", "sql_value", "value_expr", "value_of",
]
