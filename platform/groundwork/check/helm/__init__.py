"""The gate's Helm stage: the add-ons Argo CD installs from charts, rendered and judged like the apps."""
