"""`groundwork promote`: move the image a service runs in one environment to the next, by digest.

`overlay` reads and rewrites an overlay's `images:` entry and version label with a ruamel.yaml round trip
(comments, order and quoting kept); `plan` validates a request against the tree and computes the new file
without touching anything (pure but for reading files); `pullrequest` writes the branch, the commit (with the
trailers `groundwork dora` reads) and the `gh pr create` command.
"""
