"""The Streamlit app: thin pages over the services (run with `sfo ui`)."""
