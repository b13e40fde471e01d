"""The gate's own user errors: a PATH that holds no GitOps tree. A judge that is not installed or crashed is
groundwork.errors.ToolMissing / ToolBroken, shared with every other command that runs a tool (re-exported)."""

from groundwork.errors import GroundworkError, ToolBroken, ToolMissing

__all__ = ["NoGitopsTree", "ToolBroken", "ToolMissing"]


class NoGitopsTree(GroundworkError):
    """PATH does not exist or holds no gitops/ tree."""
