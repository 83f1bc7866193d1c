"""Prometheus metrics of the coach, on one registry that `/metrics` exposes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("coach_http_requests_total", "HTTP requests by route and status", ["route", "status"],
                   registry=REGISTRY)
LESSONS_SENT = Counter("coach_lessons_sent_total", "Lessons delivered, by platform and origin",
                       ["platform", "origin"], registry=REGISTRY)
SEND_FAILURES = Counter("coach_send_failures_total", "Failed sends, by platform and whether retried",
                        ["platform", "outcome"], registry=REGISTRY)
ANSWERS = Counter("coach_answers_total", "Answers recorded, by platform and correctness",
                  ["platform", "correct"], registry=REGISTRY)
HANDLER_SECONDS = Histogram("coach_handler_seconds", "Time to answer a platform request", ["platform"],
                            registry=REGISTRY)
