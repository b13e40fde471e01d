"""promtool on every PrometheusRule: `check rules` for syntax, `test rules` with generated SLO unit tests."""
