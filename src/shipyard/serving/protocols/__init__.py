"""The wire protocols serving speaks: Open Inference Protocol v2 and MLflow scoring."""
