"""The model directory format: flavor files plus ``shipyard-model.json``."""
