"""groundwork-native policy checks: the cross-resource rules checkov cannot judge correctly.

checkov's Kubernetes graph links objects by label selectors across every file it scans, ignoring namespaces
and files, and it never links a HorizontalPodAutoscaler to its Deployment; its parser silently drops documents
with a templated `name` (every ApplicationSet). So "a PodDisruptionBudget where replicas >= 2", "an
AuthorizationPolicy per workload", "a NetworkPolicy per workload" and "an ApplicationSet's project is not
default" are judged here instead, one rendered app/env at a time, as pure functions over parsed documents.
`native.run_native_checks` is the entry point; the checkov side lives in policies/checkov/ (policies/README.md).
"""
