"""Apply a change between two renders of a template onto a folder its owners have since edited.

`base` and `new` are the same template rendered with the old and the new answers; `current` is the folder as
it is (CI moved its dev image, a promotion moved staging's digest, the team raised prod's replicas). The
result is `current` with exactly the lines that differ between `base` and `new` changed, file by file, the
way `copier update` merges (`git merge-file`): the team's edits stay and the answer's change arrives.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from groundwork.errors import GroundworkError


def merge_into(current: Path, base: Path, new: Path, out: Path, what: str) -> None:
    """Write into `out` (which must not exist) `current` with the change `base` -> `new` applied.

    A file the change touches where the team's edits overlap it is refused in one line naming the file."""
    shutil.copytree(current, out)
    names = {p.relative_to(base) for p in base.rglob("*") if p.is_file()}
    names |= {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    for name in sorted(names):
        before, after, mine = base / name, new / name, out / name
        old, wanted, have = _read(before), _read(after), _read(mine)
        if old == wanted or have == wanted:
            continue  # the change does not touch this file, or it is already there
        if have == old:
            _write(mine, wanted)
        elif old is None or wanted is None or have is None:
            raise _conflict(current, name, what)
        else:
            mine.write_bytes(_merge(have, old, wanted, current, name, what))


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _write(path: Path, content: bytes | None) -> None:
    if content is None:
        path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def _merge(mine: bytes, base: bytes, theirs: bytes, folder: Path, name: Path, what: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="groundwork-merge-") as scratch:
        files = []
        for label, content in (("mine", mine), ("ancestor", base), ("theirs", theirs)):
            file = Path(scratch) / label
            file.write_bytes(content)
            files.append(str(file))
        done = subprocess.run(["git", "merge-file", "-p", *files], capture_output=True, check=False)
    if done.returncode != 0:
        raise _conflict(folder, name, what)
    return done.stdout


def _conflict(folder: Path, name: Path, what: str) -> GroundworkError:
    return GroundworkError(
        f"{folder / name}: its own edits overlap {what}",
        f"make that change there by hand (or with 'copier update --defaults --data ...' in {folder}), then retry",
    )
