"""`groundwork readiness`: the six readiness items, each a set of named checks with their evidence, judged
statically over this repository (catalog, GitOps entries, infra) and the services' own repositories."""
