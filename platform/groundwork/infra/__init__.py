"""groundwork's infrastructure as code: typed stack settings and one Pulumi ComponentResource per capability.

`infra/__main__.py` (the Pulumi program) reads the stack configuration once, parses it with
`settings.parse_settings` and calls `program.build`. Nothing here reads Pulumi configuration at import time.
"""
