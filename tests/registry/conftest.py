"""The registry tests share the fitted models of the model-format tests."""

from tests.models.conftest import array_model, cancer_arrays, cancer_frame, frame_pipeline

__all__ = ["array_model", "cancer_arrays", "cancer_frame", "frame_pipeline"]
