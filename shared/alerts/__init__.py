"""Alerts: saved searches evaluated on every enriched article (docs/alerts.md)."""
