"""Signing model directories in the OpenSSF model-signing format (ECDSA P-256 keys).

A signature is a Sigstore bundle in ``model.sig`` inside the model directory,
made with the ``model-signing`` package, so its own ``model_signing verify key``
command accepts a Shipyard-signed model.
"""
