"""Property-based tests: hypothesis on request validation and image loading (in-process), and
schemathesis against the running server's OpenAPI. Bounded so the module stays well under a minute."""

from __future__ import annotations

import io
import math

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from i2v.engine.i2vgenxl.spec import SPEC as I2VGENXL
from i2v.image_input import ImageInputError, load_image
from i2v.request import GenerationRequest, RequestError
from tests.hardening import images
from tests.hardening.conftest import count
from tests.support.servers import start_app_server

FAST_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=60),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "0x10", " 16 ", "", "512p", "ddim", "dpmpp", "standard"]),
)
FIELDS = ["prompt", "negative_prompt", "resolution", "frames", "fps", "steps", "guidance", "seed", "scheduler",
          "quality", "unknown", "image_url"]


@FAST_SETTINGS
@given(st.dictionaries(st.sampled_from(FIELDS), scalars, max_size=6))
@example({"prompt": "0"})  # every field left to the family: found by a fresh-clone run
def test_request_validation_accepts_only_sane_requests(data):
    """Any dict either becomes a request inside every documented range once the family's defaults are
    filled in (I2VGen-XL's ranges: the default family), or a RequestError with text."""
    count("fuzz: request dicts")
    try:
        request = I2VGENXL.complete(GenerationRequest.parse(data))
    except RequestError as exc:
        assert str(exc) and len(str(exc)) < 2000
        return
    assert request.prompt and request.prompt == request.prompt.strip()
    assert not any(ord(c) < 32 and c not in "\t\n\r" for c in request.prompt + (request.negative_prompt or ""))  # None: the family default
    assert 8 <= request.frames <= 32 and 4 <= request.fps <= 30 and 1 <= request.steps <= 150
    assert math.isfinite(request.guidance) and 1 <= request.guidance <= 20
    assert request.seed is None or 0 <= request.seed <= 2**32 - 1
    assert request.with_seed().seed is not None


@FAST_SETTINGS
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash_the_image_loader(data):
    count("fuzz: random byte strings")
    try:
        picture = load_image(data, max_pixels=4_000_000)
    except ImageInputError as exc:
        assert str(exc)
        return
    assert picture.mode == "RGB"


_SEED_PNG = images.encode(images.gradient_picture(64, 48), "PNG")
_SEED_JPEG = images.encode(images.gradient_picture(64, 48), "JPEG")


@FAST_SETTINGS
@given(st.sampled_from([_SEED_PNG, _SEED_JPEG]), st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=8),
       st.integers(0, 5000))
def test_corrupted_real_pictures_decode_or_are_refused(base, flips, cut):
    """Real files with flipped bytes and truncation: an RGB picture or an ImageInputError, nothing else."""
    count("fuzz: corrupted pictures")
    data = bytearray(base[: max(cut, 8)])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    try:
        picture = load_image(bytes(data), max_pixels=4_000_000)
    except ImageInputError:
        return
    assert picture.mode == "RGB" and min(picture.size) >= 32


@FAST_SETTINGS
@given(st.integers(1, 80), st.integers(1, 80),
       st.sampled_from(["1", "L", "P", "RGB", "RGBA", "LA", "CMYK", "I;16", "I", "F", "YCbCr"]),
       st.sampled_from(["PNG", "TIFF", "WEBP", "GIF", "BMP", "JPEG"]))
def test_every_mode_and_format_gives_rgb_or_a_clear_refusal(width, height, mode, fmt):
    count("fuzz: mode/format/size combinations")
    image = Image.new(mode, (width, height))
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt)
    except (OSError, ValueError, KeyError):
        return  # Pillow cannot write that combination; nothing to test
    try:
        picture = load_image(buffer.getvalue())
    except ImageInputError as exc:
        assert min(width, height) < 32 or "decode" in str(exc), str(exc)
        return
    assert picture.mode == "RGB" and picture.size in ((width, height), (height, width))


# ---- schemathesis against the real server ---------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    srv = start_app_server(tmp_path_factory.mktemp("home"), I2V_MAX_QUEUED="3", I2V_MAX_QUEUED_PER_CLIENT="3")
    yield srv
    srv.stop()


def test_openapi_fuzz_never_gets_a_server_error(fuzz_server):
    """Generated requests for every operation of the OpenAPI: never a 5xx; the server stays healthy.
    (Driven directly rather than through schemathesis' pytest plugin, which this pytest rejects.)"""
    api = schemathesis.openapi.from_url(f"{fuzz_server.url}/api/v1/openapi.json")
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/events"):
            continue  # a stream: covered by the disconnect test
        operations += 1

        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(operation.as_strategy())
        def check(case):
            count("fuzz: schemathesis requests")
            response = case.call(base_url=fuzz_server.url, timeout=30)
            assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text_lossy()[:300])

        check()
    assert operations >= 8
    assert httpx.get(f"{fuzz_server.url}/api/v1/health").status_code == 200
