"""The model registry: safe model formats, signatures, model directories, signing.

``flavors/`` saves and loads each framework's models in a safe format,
``signatures/`` infers and checks input/output schemas, ``model_dir/`` writes
and verifies the model directory format (``shipyard-model.json``),
``signing/`` signs it in the OpenSSF model-signing format. Every framework is
imported on first use, so importing this package costs nothing.
"""
