"""A PyTorch module importable by class path (tests.models.torch_modules:TinyNet)."""

from __future__ import annotations

from typing import Any

import torch


class TinyNet(torch.nn.Module):
    def __init__(self, features: int, hidden: int = 8) -> None:
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(features, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2)
        )

    def forward(self, x: Any) -> Any:
        return self.layers(x.float())


class NotAModule:
    """Named in a tampered manifest: must never be instantiated."""

    created = False

    def __init__(self, **kwargs: Any) -> None:
        NotAModule.created = True
