"""/metrics in Prometheus text format.

Figures that several processes produce (mentions ingested by collectors, deliveries sent by alert workers)
are read from the database at scrape time, so any API replica reports the whole deployment. Scoring time is
measured where the scoring happens: each process keeps its own histogram (the API's covers POST /mentions).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.db import reading
from app.db.schema import utcnow
from app.storage import metrics as store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SCORING_SECONDS = Histogram(
    "vigie_scoring_seconds",
    "Time to score one batch of mentions (language, sentiment, complaint, crisis risk), in this process",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
)


class DatabaseCollector(Collector):
    """Reads the deployment's figures from the database at each scrape."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        with reading(self.engine) as conn:
            yield from _sources(store.source_figures(conn))
            yield from _incidents(store.open_incident_counts(conn))
            yield from _deliveries(store.delivery_counts_by_status(conn), store.attempt_figures(conn))
            recent = store.recent_attempt_latencies(conn, since=utcnow() - timedelta(hours=1))
        yield from _latency(recent)


def _sources(rows: list[dict]) -> Iterator[Metric]:
    labels = ["workspace", "source", "kind"]
    new = CounterMetricFamily("vigie_mentions_ingested", "New mentions stored, per source", labels=labels)
    errors = CounterMetricFamily("vigie_source_errors", "Source runs that failed, per source", labels=labels)
    runs = CounterMetricFamily("vigie_source_runs", "Source runs, per source", labels=labels)
    failing = GaugeMetricFamily("vigie_source_consecutive_errors", "Failures in a row, per source", labels=labels)
    for r in rows:
        key = [r["workspace"], r["source"], r["kind"]]
        new.add_metric(key, r["new"])
        errors.add_metric(key, r["errors"])
        runs.add_metric(key, r["runs"])
        failing.add_metric(key, r["consecutive_errors"] or 0)
    yield from (new, errors, runs, failing)


def _incidents(rows: list[dict]) -> Iterator[Metric]:
    gauge = GaugeMetricFamily(
        "vigie_open_incidents", "Open and acknowledged incidents", labels=["workspace", "kind", "severity", "status"]
    )
    for r in rows:
        gauge.add_metric([r["workspace"], r["kind"], r["severity"], r["status"]], r["n"])
    yield gauge


def _deliveries(by_status: list[dict], attempts: list[dict]) -> Iterator[Metric]:
    status = GaugeMetricFamily("vigie_deliveries", "Deliveries by channel kind and status", labels=["kind", "status"])
    for r in by_status:
        status.add_metric([r["kind"], r["status"]], r["n"])
    tries = CounterMetricFamily(
        "vigie_delivery_attempts", "Delivery attempts by channel kind and outcome", labels=["kind", "outcome"]
    )
    spent = CounterMetricFamily(
        "vigie_delivery_attempt_seconds", "Time spent in delivery attempts", labels=["kind", "outcome"]
    )
    for r in attempts:
        tries.add_metric([r["kind"], r["outcome"]], r["n"])
        spent.add_metric([r["kind"], r["outcome"]], (r["latency_ms"] or 0) / 1000)
    yield from (status, tries, spent)


def _latency(latencies_ms: list[float]) -> Iterator[Metric]:
    gauge = GaugeMetricFamily(
        "vigie_delivery_latency_seconds", "Delivery attempt latency over the last hour", labels=["quantile"]
    )
    if len(latencies_ms) >= 2:
        cuts = statistics.quantiles(latencies_ms, n=100, method="inclusive")
        for q, value in (("0.5", cuts[49]), ("0.95", cuts[94])):
            gauge.add_metric([q], value / 1000)
    elif latencies_ms:
        gauge.add_metric(["0.5"], latencies_ms[0] / 1000)
    yield gauge


def render(engine: sa.Engine) -> bytes:
    """The exposition text: the database figures and this process's own histograms."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(engine))
    registry.register(_ProcessMetrics())
    return generate_latest(registry)


class _ProcessMetrics(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from SCORING_SECONDS.collect()
