"""groundwork's Pulumi program: read the stack configuration once, then compose the components.

Run through `groundwork up --env kind|eks` (or `pulumi up` in this folder). Everything it builds lives in
`groundwork.infra`; this file only wires configuration to it.
"""

from pathlib import Path

import pulumi

from groundwork.errors import GroundworkError
from groundwork.infra.program import build, load_repository_inputs
from groundwork.infra.settings import CONFIG_KEYS, parse_settings
from groundwork.paths import STATE_DIR

REPOSITORY = Path(__file__).resolve().parent.parent


def main() -> None:
    config = pulumi.Config()
    values = {key: config.get(key) for key in sorted(CONFIG_KEYS)}
    if values.get("env") == "sandbox" and not values.get("repoUrl"):
        # The sandbox's Argo CD runs on this machine: it reads this checkout itself.
        values["repoUrl"] = REPOSITORY.as_uri()
    try:
        inputs = load_repository_inputs(REPOSITORY)
        settings = parse_settings(values, inputs.known_addons)
    except GroundworkError as error:
        # RunError ends the program with this one line instead of a traceback.
        raise pulumi.RunError(str(error)) from None
    try:
        outputs = build(settings, inputs, sandbox_state=REPOSITORY / STATE_DIR / settings.env)
    except GroundworkError as error:
        raise pulumi.RunError(str(error)) from None
    for name, value in outputs.items():
        pulumi.export(name, value)


main()
