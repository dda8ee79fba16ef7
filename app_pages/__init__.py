"""Pages of the Streamlit app (`app.py`); helpers in `_common`, `_charts`, `_text`."""
