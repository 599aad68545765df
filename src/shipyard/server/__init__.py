"""The team server: one FastAPI app exposing every domain's routes over HTTP."""
