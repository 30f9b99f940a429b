"""PostSpec: defaults, ranges with readable messages, and a stable digest for file names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from i2v.post import PostSpec


def test_default_spec_is_identity_and_each_step_is_not() -> None:
    assert PostSpec().is_identity
    for change in ({"interpolate": 2}, {"smooth": 0.3}, {"loop": "pingpong"}, {"speed": 0.5}):
        assert not PostSpec(**change).is_identity


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("smooth", 1.5, "smooth must be between 0 and 1"),
        ("smooth", -0.1, "smooth must be between 0 and 1"),
        ("speed", 0.1, "speed must be between 0.25 and 4"),
        ("speed", 5, "speed must be between 0.25 and 4"),
        ("speed", float("nan"), "speed must be between 0.25 and 4"),
        ("interpolate", 3, "1, 2 or 4"),
        ("loop", "boomerang", "'none', 'pingpong' or 'crossfade'"),
    ],
)
def test_out_of_range_values_name_the_allowed_range(field: str, value: object, expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        PostSpec(**{field: value})


def test_spec_is_frozen_and_refuses_unknown_fields() -> None:
    spec = PostSpec()
    with pytest.raises(ValidationError):
        spec.smooth = 0.5
    with pytest.raises(ValidationError, match="Extra inputs"):
        PostSpec(sharpen=1)


def test_digest_is_stable_short_hex_and_tells_specs_apart() -> None:
    assert PostSpec(smooth=0).digest == PostSpec(smooth=0.0).digest == PostSpec().digest
    digests = {PostSpec(interpolate=k).digest for k in (1, 2, 4)} | {PostSpec(loop="crossfade").digest}
    assert len(digests) == 4
    assert all(len(d) == 8 and int(d, 16) >= 0 for d in digests)
    assert PostSpec.model_validate(PostSpec(speed=2).model_dump()) == PostSpec(speed=2)
