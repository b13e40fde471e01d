"""One module per clause group; each step judges its clauses from outside the service."""
