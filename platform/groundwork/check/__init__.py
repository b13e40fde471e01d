"""`groundwork check`: the gate every GitOps pull request passes.

Pure core, one stage per module: `discover` finds what to render, `render` runs kustomize, `validate/` judges
every document against a schema, `policy` runs checkov once over everything, `rules/` runs promtool on every
PrometheusRule, `report` groups the findings. `runner.run_check` ties them together.
"""
