"""The archive: where finished videos live, named so nothing is ever overwritten.

Layout under the archive root (I2V_HOME, default ./outputs):

    YYYY-MM-DD/HHMMSS-<slug>-<shortid>.mp4      the video
    YYYY-MM-DD/HHMMSS-<slug>-<shortid>.json     its recipe (how to make it again)
    YYYY-MM-DD/HHMMSS-<slug>-<shortid>.jpg      thumbnail
    YYYY-MM-DD/HHMMSS-<slug>-<shortid>-input.png  the picture it started from
    YYYY-MM-DD/HHMMSS-<slug>-<shortid>-key1.png   pictures after the first (end picture, keyframes), if any

Every path that comes from outside (a request, a recipe) goes through `Archive.resolve`, the
one place that refuses names escaping the root.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from i2v.files import write_json_atomic
from i2v.errors import ErrorKind, I2VError

SLUG_MAX = 40
MAX_KEYFRAME_FILES = 5  # up to 4 pictures in between and an end picture (request.MAX_MIDDLE_KEYFRAMES + 1)
KEYFRAME_FILE = re.compile(r"(.+)-key[1-9]\.png")


class ArchivePathError(I2VError, ValueError):
    """A name that would leave the archive, or does not exist in it. Not found to the caller (404),
    yet a ValueError as before: it is not a KeyError, so `except KeyError` elsewhere does not catch it."""

    kind = ErrorKind.NOT_FOUND


@dataclass(frozen=True)
class Entry:
    """One video's family of files, identified by its stem (path without extension)."""

    root: Path
    stem: Path  # relative to root, e.g. 2026-11-25/101500-cell-division-3f9a1c2e

    @property
    def video(self) -> Path:
        return self.root / self.stem.with_suffix(".mp4")

    @property
    def recipe(self) -> Path:
        return self.root / self.stem.with_suffix(".json")

    @property
    def thumbnail(self) -> Path:
        return self.root / self.stem.with_suffix(".jpg")

    @property
    def input_image(self) -> Path:
        return self.root / self.stem.parent / f"{self.stem.name}-input.png"

    def keyframe_image(self, number: int) -> Path:
        """The `number`th picture after the first (1 is the first of them; the end picture is the last)."""
        return self.root / self.stem.parent / f"{self.stem.name}-key{number}.png"

    def sibling(self, suffix: str) -> Path:
        """An export's path: `<stem><suffix>`, e.g. `-sheet.png`."""
        return self.root / self.stem.parent / f"{self.stem.name}{suffix}"

    @property
    def name(self) -> str:
        return self.stem.as_posix()


def slugify(text: str, limit: int = SLUG_MAX) -> str:
    """ASCII words of the prompt for a readable file name; 'video' when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "video"


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def allocate(self, prompt: str, when: datetime | None = None) -> Entry:
        """Reserve a new, unused stem. The short id is random, and the video name is claimed with
        an exclusive create, so two jobs in the same second can never share a name."""
        when = when or datetime.now()
        folder = self.root / when.strftime("%Y-%m-%d")
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            stem = Path(when.strftime("%Y-%m-%d")) / f"{when.strftime('%H%M%S')}-{slugify(prompt)}-{secrets.token_hex(4)}"
            entry = Entry(self.root, stem)
            try:
                # Placeholder recipe claims the name; replaced atomically when the video is done.
                with open(entry.recipe, "x", encoding="utf-8") as handle:
                    handle.write("{}")
                return entry
            except FileExistsError:
                continue

    def release(self, entry: Entry) -> None:
        """Remove what a failed or cancelled job left behind (never a finished video)."""
        if not entry.video.exists():
            for path in (entry.recipe, entry.thumbnail, entry.input_image,
                         *(entry.keyframe_image(n) for n in range(1, MAX_KEYFRAME_FILES + 1))):
                path.unlink(missing_ok=True)

    def discard(self, entry: Entry) -> list[Path]:
        """Remove every file of `entry`, its video and exports included (`<stem>*` and its temporary
        `.<stem>.*.part` files). Returns the paths removed."""
        folder = entry.root / entry.stem.parent
        removed = []
        for pattern in (entry.stem.name + "*", f".{entry.stem.name}.*.part"):
            for path in folder.glob(pattern):
                if path.is_file() or path.is_symlink():
                    path.unlink(missing_ok=True)
                    removed.append(path)
        return removed

    def entry_named(self, name: str) -> Entry:
        """The entry with stem `name` (e.g. `2026-11-25/101500-cell-3f9a1c2e`), whether or not its
        files exist yet; ArchivePathError for a name that would leave the archive."""
        try:
            candidate = (self.root / Path(name)).resolve()
        except (OSError, ValueError):
            raise ArchivePathError(f"{str(name)[:80]} is not an archive entry") from None
        if not candidate.is_relative_to(self.root) or candidate.parent == self.root.parent or candidate == self.root:
            raise ArchivePathError(f"{str(name)[:80]} is not an archive entry")
        return Entry(self.root, candidate.relative_to(self.root))

    def sweep_incomplete(self) -> list[Path]:
        """Remove what a killed process left half-made: temporary `.part` files and the recipe,
        thumbnail and input picture of entries whose video never appeared. Call at start-up, before
        any job runs (a running job's files look exactly like this). Returns the paths removed."""
        removed: list[Path] = []
        for folder in (p for p in self.root.iterdir() if p.is_dir() and not p.is_symlink() and p.name[:1].isdigit()):
            for path in folder.iterdir():
                if not path.is_file() or path.is_symlink():
                    continue
                if path.name.startswith(".") and path.name.endswith(".part"):
                    orphan = True
                elif path.name.endswith("-input.png"):
                    orphan = not folder.joinpath(path.name.removesuffix("-input.png") + ".mp4").exists()
                elif KEYFRAME_FILE.fullmatch(path.name):
                    orphan = not folder.joinpath(KEYFRAME_FILE.fullmatch(path.name)[1] + ".mp4").exists()
                elif path.suffix in (".json", ".jpg"):
                    orphan = not path.with_suffix(".mp4").exists()
                else:
                    orphan = False
                if orphan:
                    path.unlink(missing_ok=True)
                    removed.append(path)
        return removed

    def resolve(self, name: str | Path) -> Path:
        """The archive file for `name` (relative to the root), refusing anything outside it."""
        shown = str(name)[:80] + ("…" if len(str(name)) > 80 else "")
        try:
            candidate = (self.root / Path(name)).resolve()
            if not candidate.is_relative_to(self.root) or candidate == self.root:
                raise ArchivePathError(f"{shown} is not a file in the archive")
            if not candidate.is_file():
                raise ArchivePathError(f"{shown} does not exist in the archive")
        except (OSError, ValueError) as exc:  # name too long, NUL byte, symlink loop, …
            if isinstance(exc, ArchivePathError):
                raise
            raise ArchivePathError(f"{shown} is not a file in the archive") from None
        return candidate

    def entry_for(self, name: str | Path) -> Entry:
        """The entry a video (or recipe) name belongs to, checked to exist inside the archive."""
        path = self.resolve(name)
        return Entry(self.root, path.relative_to(self.root).with_suffix(""))

    def write_recipe(self, entry: Entry, recipe: dict) -> Path:
        write_json_atomic(entry.recipe, recipe)
        return entry.recipe

    def read_recipe(self, entry: Entry) -> dict:
        return json.loads(entry.recipe.read_text(encoding="utf-8"))

    def entries(self) -> list[Entry]:
        """Finished videos, newest first (a video exists only once fully written)."""
        videos = [p for p in self.root.glob("*/*.mp4") if p.with_suffix(".json").is_file() and not p.name.startswith(".")]
        stems = sorted((p.relative_to(self.root).with_suffix("") for p in videos), key=lambda s: s.as_posix(), reverse=True)
        return [Entry(self.root, s) for s in stems]
