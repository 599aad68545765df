"""MLflow's REST API on the team server, mapped onto Shipyard's own services.

An unchanged MLflow script logs here with ``MLFLOW_TRACKING_URI`` set to the
server and ``MLFLOW_TRACKING_TOKEN`` to a Shipyard API token. Nothing is stored
twice: experiments and runs are the tracking service's, artifacts are run
artifacts in the object store, registered models are the registry's (see
docs/migrating.md for the mapping and the compatibility table).
"""
