"""CODEOWNERS as GitHub reads it: gitignore-style patterns, the last matching line wins, any owner of it may
approve; malformed lines fail with their line number."""

from __future__ import annotations

import pytest
import yaml
from catalog_support import REPO_ROOT, SERVICES

from groundwork.catalog.codeowners import find_codeowners, load_codeowners, parse_codeowners
from groundwork.catalog.errors import CatalogError

RULES = """\
# comment
*                       @acme/everyone
*.js                    @acme/js
/build/logs/            @acme/logs
docs/*                  docs@example.com
apps/                   @acme/apps
/gitops/apps/order/     @acme/team-commerce @acme/team-payments
/gitops/apps/order/README.md
**/secrets              @acme/security
/a/**/b.txt             @acme/ab
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ("@acme/everyone",)),
        ("src/deep/app.js", ("@acme/js",)),  # unanchored: any depth
        ("build/logs/today/x.log", ("@acme/logs",)),
        ("src/build/logs/x.log", ("@acme/everyone",)),  # anchored at the root
        ("docs/start.md", ("docs@example.com",)),
        ("docs/build-app/troubleshooting.md", ("@acme/everyone",)),  # docs/* does not reach nested files
        ("x/apps/y.txt", ("@acme/apps",)),  # a folder named apps anywhere
        ("gitops/apps/order/base/deployment.yaml", ("@acme/team-commerce", "@acme/team-payments")),
        ("gitops/apps/order/README.md", ()),  # a pattern without owners: unowned
        ("deep/down/secrets/key.pem", ("@acme/security",)),
        ("a/b.txt", ("@acme/ab",)),
        ("a/x/y/b.txt", ("@acme/ab",)),
    ],
)
def test_the_last_matching_line_decides(path: str, owners: tuple[str, ...]) -> None:
    assert parse_codeowners(RULES, "CODEOWNERS").owners_of(path) == owners


def test_rule_for_reports_the_line() -> None:
    rule = parse_codeowners(RULES, "CODEOWNERS").rule_for("gitops/apps/order/overlays/dev/kustomization.yaml")
    assert rule is not None
    assert rule.line == 7


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("*  @acme/a\n\n/x/  acme-team\n", 3, "owner acme-team is not"),
        ("!/x/  @acme/a\n", 1, "uses '!'"),
        ("*  @acme/a\n/[ab]/  @acme/b\n", 2, "[...]"),
    ],
)
def test_malformed_lines_fail_with_their_line(text: str, line: int, words: str) -> None:
    with pytest.raises(CatalogError) as raised:
        parse_codeowners(text, ".github/CODEOWNERS")
    assert raised.value.line == line
    assert str(raised.value).startswith(f".github/CODEOWNERS:{line}: ")
    assert words in str(raised.value)


def test_the_repository_gives_each_service_entry_to_its_team_alone() -> None:
    file = find_codeowners(REPO_ROOT)
    assert file == REPO_ROOT / ".github" / "CODEOWNERS"
    codeowners = load_codeowners(file, ".github/CODEOWNERS")
    for service in SERVICES:
        answers = yaml.safe_load((REPO_ROOT / "gitops" / "apps" / service / ".copier-answers.yml").read_text())
        owners = codeowners.owners_of(f"gitops/apps/{service}/overlays/dev/kustomization.yaml")
        assert owners == (f"@acme/{answers['owner_team']}",), service
    assert codeowners.owners_of("gitops/apps/README.md") == ("@acme/team-platform",)
    assert codeowners.owners_of("platform/groundwork/cli.py") == ("@acme/team-platform",)
    # No catch-all: an entry without its own line shows up as unowned, not as the platform team's.
    assert codeowners.owners_of("gitops/apps/new-service/base/deployment.yaml") == ()
