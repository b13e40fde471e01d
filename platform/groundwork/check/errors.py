"""The gate's own user errors: a PATH that holds no GitOps tree, and a judge that is not installed."""

from groundwork.errors import GroundworkError


class NoGitopsTree(GroundworkError):
    """PATH does not exist or holds no gitops/ tree."""


class ToolMissing(GroundworkError):
    """An external judge (kubectl, promtool, node, uvx) is not installed: the gate cannot decide (exit 2)."""

    exit_code = 2


class ToolBroken(GroundworkError):
    """An external judge ran but crashed instead of judging (exit 2)."""

    exit_code = 2
