"""Grafana dashboards built with grafana-foundation-sdk and shipped as templates (no SDK needed at render time)."""
