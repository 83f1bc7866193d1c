"""Finding and loading content packs, including the ones bundled with the coach."""

from __future__ import annotations

from pathlib import Path

from content.checks import check_packs
from content.model import KnownContent, PackSpec, Problem
from content.reader import read_pack

BUNDLED = Path(__file__).parent
STARTER = BUNDLED / "starter"


def find_pack_folders(path: Path) -> list[Path]:
    """A pack folder itself, or every pack folder directly below the given one."""
    if (path / "pack.yaml").is_file():
        return [path]
    return sorted(p.parent for p in path.glob("*/pack.yaml"))


def load_packs(paths: list[Path], known: KnownContent = KnownContent()) -> tuple[list[PackSpec], list[Problem]]:
    """Read and check packs together (ids must be unique across them), on top of `known` content from packs
    loaded before; problems sorted by file and line."""
    packs: list[PackSpec] = []
    problems: list[Problem] = []
    read: set[Path] = set()
    for path in paths:
        folders = find_pack_folders(path) if path.is_dir() else []
        if not folders:
            problems.append(Problem(path, 1, "no pack.yaml here (a content pack is a folder with pack.yaml)"))
        for folder in folders:
            if folder.resolve() in read:  # named twice (`validate packs packs/a`): one pack, not a duplicate
                continue
            read.add(folder.resolve())
            pack = read_pack(folder, problems)
            if pack is not None:
                packs.append(pack)
    check_packs(packs, problems, known)
    problems.sort(key=lambda p: (str(p.file), p.line, p.message))
    return packs, problems
