"""Every read of the warehouse, one function each; the SQL lives in `warehouse/sql/queries/`.

Stages, flows and the command line ask here instead of writing SQL: a function takes an open
connection (from the warehouse handle) and plain parameters, binds them (`?`), and returns a frame,
a row or plain values. "What does this read?" then has one answer: this file.
"""

from __future__ import annotations

# --- runs, models and periods (stages) ---

# --- the command line (runs, show, score pre-checks) ---
