"""Streamlit helpers shared by the pages: state, layout, charts, the ballot form, QR codes."""
