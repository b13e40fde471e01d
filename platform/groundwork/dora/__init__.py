"""`groundwork dora`: the four DORA figures read from the git history of gitops/.

A deployment is a change of the image an overlay runs (`gitops/apps/<service>/overlays/<env>/kustomization.yaml`)
reaching the branch Argo CD syncs. `history` reads those changes with git (first-parent, so each change counts
once, at the moment it was merged); `events` classifies them into deployments and restores (reverts, rollbacks)
as pure functions; `figures` turns the events of a time window into deployment frequency, lead time, change
failure rate and time to restore; `report` prints them. Trailers written by the service CI and by
`groundwork promote` (`trailers`) give the build time that lead time starts from.
"""
