"""Importing other tools' history into Shipyard (``shipyard migrate …``).

``mlflow``: a whole MLflow tracking store (SQLite, an ``mlruns`` folder or a
server's REST API) read without MLflow itself, written through the tracking
and registry seams so the same import fills a workspace or a team server.
"""
