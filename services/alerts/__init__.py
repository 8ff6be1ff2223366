"""Alerts stage: saved searches matched against every enriched article."""
