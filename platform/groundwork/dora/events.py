"""From overlay changes to deployments and restores: pure functions over what `history` read.

A change of the image an overlay runs is a deployment, unless it undoes the deployment that is live: a revert
(the commit says so: `Revert "..."`, `This reverts commit ...`) or a rollback (the overlay goes back to an
image it ran before). Either is a restore, and marks the live deployment failed. A change that only touches
other lines (replicas, labels) is no deployment; a deleted overlay ends the environment's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from groundwork.dora import trailers as keys
from groundwork.dora.trailers import is_revert, parse_trailers


@dataclass(frozen=True)
class Running:
    """The image an overlay runs; two are the same release when their digests (else their tags) match."""

    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def identity(self) -> str:
        return self.digest or f"{self.repository}:{self.tag or ''}"


@dataclass(frozen=True)
class OverlayChange:
    """One first-parent commit's change to one overlay. `messages`: the commit's own message, then those of the
    commits it merged (a merge commit's pull request)."""

    commit: str
    merged_at: datetime
    messages: tuple[str, ...]
    service: str
    environment: str
    before: Running | None
    after: Running | None


@dataclass
class Deployment:
    service: str
    environment: str
    commit: str
    merged_at: datetime
    image: Running
    built_at: datetime | None = None
    failed_by: Restore | None = field(default=None, repr=False)

    @property
    def lead_time(self) -> float | None:
        """Seconds from the image build (trailer `Image-Built-At`) to the merge."""
        return None if self.built_at is None else (self.merged_at - self.built_at).total_seconds()


@dataclass(frozen=True)
class Restore:
    service: str
    environment: str
    commit: str
    merged_at: datetime
    kind: str  # "revert" or "rollback"
    undone: Deployment

    @property
    def time_to_restore(self) -> float:
        return (self.merged_at - self.undone.merged_at).total_seconds()


@dataclass(frozen=True)
class Events:
    deployments: list[Deployment]
    restores: list[Restore]


@dataclass
class _State:
    live: Deployment | None = None
    earlier: list[str] = field(default_factory=list)  # identities the overlay ran before the current one


def built_at(change: OverlayChange) -> datetime | None:
    """The build time of the image this change deploys: trailer `Image-Built-At` of the first message whose
    trailers are about this change (same service, environment and digest where they name one)."""
    for message in change.messages:
        found = parse_trailers(message)
        if _about(found, change) and found.get(keys.IMAGE_BUILT_AT):
            try:
                moment = datetime.fromisoformat(found[keys.IMAGE_BUILT_AT])
            except ValueError:
                return None
            return moment if moment.tzinfo is not None else None
    return None


def _about(found: dict[str, str], change: OverlayChange) -> bool:
    for key, expected in ((keys.SERVICE, change.service), (keys.ENVIRONMENT, change.environment)):
        if found.get(key, expected) != expected:
            return False
    digest = found.get(keys.IMAGE_DIGEST)
    after = change.after.digest if change.after is not None else None
    return not (digest and after and digest != after)


def classify(changes: list[OverlayChange]) -> Events:
    """`changes` oldest first."""
    states: dict[tuple[str, str], _State] = {}
    deployments: list[Deployment] = []
    restores: list[Restore] = []
    for change in changes:
        key = (change.service, change.environment)
        state = states.setdefault(key, _State())
        if change.after is None:
            states[key] = _State()
            continue
        before = change.before.identity if change.before is not None else None
        after = change.after.identity
        if before == after:
            continue
        reverted = any(is_revert(message) for message in change.messages)
        rolled_back = after in state.earlier
        if before is not None:
            state.earlier.append(before)
        if (reverted or rolled_back) and state.live is not None:
            restore = Restore(
                change.service,
                change.environment,
                change.commit,
                change.merged_at,
                "revert" if reverted else "rollback",
                state.live,
            )
            state.live.failed_by = restore
            restores.append(restore)
            state.live = None
            continue
        deployment = Deployment(
            change.service, change.environment, change.commit, change.merged_at, change.after, built_at(change)
        )
        deployments.append(deployment)
        state.live = deployment
    return Events(deployments, restores)
