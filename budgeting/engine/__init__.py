"""The voting engine: ballots, validation, allocation and selection rules, pabulib I/O.

Pure standard-library Python: nothing here imports streamlit, duckdb, pandas or plotly
(``tests/engine/test_purity.py`` proves it), so every published result can be recomputed
with nothing but CPython.
"""
