"""Employee rosters (职工花名册): read an .xlsx or .csv by content, check every row, write the workbooks.

- `policy`: which matters take a roster, the row limit, the contribution bounds per city and year (data);
- `reading`: the file's type by content, its header and rows;
- `rows`: the typed columns and the per-row, per-field checks;
- `workbooks`: the template, the result and the error report as .xlsx.
"""
