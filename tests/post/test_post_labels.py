"""Labels as the last post-processing step: drawn after speed, only in their time window, recorded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from i2v.media import read_video
from i2v.post import PostSpec, apply_post, reprocess
from i2v.post.archive_io import read_recipe
from i2v.post.labels import Label

# At speed 2 the 8-frame, 8 fps clip plays at 16 fps: 0.125–0.25 s is frames 2 and 3. Drawn before
# speed (at 8 fps) the same window would be frame 1 only, so this tells the order apart.
LABEL = Label(text="Anaphase", x=0.5, y=0.5, size=0.2, start_s=0.125, end_s=0.25, box=True)


def test_spec_with_labels_is_not_identity_and_hashes_apart() -> None:
    plain, labelled = PostSpec(), PostSpec(labels=(LABEL,))
    assert plain.is_identity and not labelled.is_identity
    assert plain.digest != labelled.digest
    assert "labels" not in plain.model_dump()  # older recipes and file names stay as they were
    assert PostSpec.model_validate(labelled.model_dump(mode="json")) == labelled
    with pytest.raises(ValidationError, match="end_s"):
        PostSpec(labels=[{"text": "x", "start_s": 1.0, "end_s": 0.5}])


def test_apply_post_draws_labels_after_speed(clip: np.ndarray) -> None:
    frames, fps = apply_post(clip, 8, PostSpec(speed=2, labels=(LABEL,)))
    assert fps == 16
    changed = [i for i in range(len(frames)) if not np.array_equal(frames[i], clip[i])]
    assert changed == [2, 3]


def test_reprocess_draws_the_label_only_in_its_window_and_records_it(archived_video: Path) -> None:
    before = hashlib.sha256(archived_video.read_bytes()).hexdigest()
    spec = PostSpec(speed=2, labels=(LABEL,))
    labelled = reprocess(archived_video, spec)
    plain = reprocess(archived_video, PostSpec(speed=2))
    assert hashlib.sha256(archived_video.read_bytes()).hexdigest() == before
    assert labelled != plain and labelled.name.endswith(f"-post-{spec.digest}.mp4")

    with_label, fps = read_video(labelled)
    without, _ = read_video(plain)
    assert fps == 16 and len(with_label) == len(without) == 8
    # mean absolute difference per frame, in the label's box (the middle of the frame) and overall
    h, w = with_label.shape[1:3]
    centre = (slice(h * 2 // 5, h * 3 // 5), slice(w // 4, w * 3 // 4))
    diff = np.abs(with_label.astype(np.int16) - without.astype(np.int16))
    in_box = [float(d[centre].mean()) for d in diff]
    overall = [float(d.mean()) for d in diff]
    assert all(in_box[i] > 20 for i in (2, 3)), in_box
    outside = (0, 1, 4, 5, 6, 7)  # re-encoding a textured clip leaves ~2 levels of codec noise there
    assert all(in_box[i] < 5 and overall[i] < 3 for i in outside), (in_box, overall)

    recorded = read_recipe(labelled)["post"]
    assert recorded["labels"][0]["text"] == "Anaphase"
    assert PostSpec.model_validate(recorded) == spec
    assert reprocess(labelled, spec) == labelled  # found again from its own recipe, not redrawn
