"""A worker process lets its jobs run more calls at once per endpoint than a web process."""

from __future__ import annotations

from buckets import gateway


def test_a_worker_process_gets_the_wider_per_endpoint_bound(settings, monkeypatch):
    settings.S3_ENDPOINT_CONCURRENCY = 8
    settings.S3_WORKER_ENDPOINT_CONCURRENCY = 32
    monkeypatch.setattr(gateway, "_process_budget", None)
    monkeypatch.setattr(gateway, "_process_slots", None)
    gateway.reset_limits()
    assert gateway._guard_for("http://s3.example.test:9000").size == 8  # the web's bound
    gateway.use_patient_defaults()
    assert gateway._guard_for("http://s3.example.test:9000").size == 32
    gateway.reset_limits()
