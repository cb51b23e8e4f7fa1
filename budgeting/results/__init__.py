"""Results, headless: rule outcomes as publishable data (``publish``, standard library only)
and stored rounds decided by their own rules (``decide``, over the store). Pages, the
command line and exports use it; nothing here imports Streamlit or draws a chart."""
