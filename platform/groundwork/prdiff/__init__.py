"""The pull request comment: what merging would change in the clusters, and in readiness.

`scope` maps the changed files between two commits to the app/env targets they can affect; `trees` exports
`gitops/` at both commits; `render` builds each affected target at both (kustomize, as Argo CD does);
`diff` compares the rendered objects one by one; `readiness` compares two `groundwork readiness --format json`
reports; `comment` writes the Markdown. Only `trees` and `render` run anything (git, kubectl).
"""
