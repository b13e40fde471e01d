"""The GitOps tree (gitops/): what the code around it needs to read from it."""
