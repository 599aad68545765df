"""Live monitors: a served model's inference log against its reference, on a schedule.

``service.monitor(ctx, config)`` runs one monitor (``runner.run_monitor``),
stores the result (``results_store``), posts webhooks and runs the breach
trigger; ``schedule.Scheduler`` repeats it; ``gauges.MonitorCollector``
exports the newest results to Prometheus. See docs/monitoring.md, "Live
monitoring".
"""
