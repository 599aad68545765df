"""What a run cost, from the configured rates (``cost.cpu_hour``, ``cost.gpu_hour``).

The estimate charges the CPU time a run actually used (core-hours) and the GPU
time it held (wall time × visible GPUs). It is stored with the run when the run
ends (and refreshed by each heartbeat while it runs), so a later change of rate
does not rewrite history.
"""

from __future__ import annotations

from shipyard.core.settings import CostSettings
from shipyard.tracking.entities import Resources

__all__ = ["estimate_cost"]


def estimate_cost(usage: Resources, rates: CostSettings) -> float:
    """Cost of ``usage`` at ``rates``, in the rates' currency."""
    return (usage.cpu_seconds / 3600.0) * rates.cpu_hour + (
        usage.gpu_seconds / 3600.0
    ) * rates.gpu_hour
