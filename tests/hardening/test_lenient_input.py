"""Issue 15, class 6: input that was accepted too leniently is refused with a message.

Integers in other spellings than plain decimal, a form field sent twice, form text that is not
UTF-8, a prompt of only invisible characters; and a picture's metadata (a 900 KB junk colour
profile) must not travel into the stored upload. Over real HTTP on the shared server; the grammar
itself also in-process.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from i2v.engine.registry import DEFAULT_SPEC
from i2v.request import GenerationRequest, RequestError, has_visible_text
from tests.hardening import images
from tests.hardening.conftest import FAST, assert_healthy, assert_refused, count

PNG = images.encode(images.gradient_picture(200, 160), "PNG")


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


def post_fields(client, fields: list[tuple[str, bytes]], image: bytes = PNG):
    """POST /jobs with exactly these multipart text fields (raw bytes, repeats allowed)."""
    parts = [("image", ("p.png", image, "image/png")), *((name, (None, value)) for name, value in fields)]
    return client.post("/api/v1/jobs", files=parts)


def base_fields(**changes: str) -> list[tuple[str, bytes]]:
    merged = {**FAST, **changes}
    return [(k, v.encode()) for k, v in merged.items()]


INTEGER_SPELLINGS = ["1_6", "+16", " 16 ", "16.0", "16 ", "\t16", "0x10", "1e1", "١٦", "１６", "16\n", "-0", "+0"]


def test_integers_must_be_plain_decimal(client):
    tried = 0
    for field, good in (("frames", "16"), ("fps", "8"), ("steps", "3"), ("seed", "16")):
        for spelling in INTEGER_SPELLINGS:
            value = spelling.replace("16", good) if "16" in spelling else spelling
            text = assert_refused(post_fields(client, base_fields(**{field: value})), 422, contains=field)
            assert "between" in text, text  # the range message, as for any other bad value
            tried += 1
    for spelling in ("9.", ".5", "+9", "9e0", "1_0", " 9", "9,5"):
        assert_refused(post_fields(client, base_fields(guidance=spelling)), 422, contains="guidance")
        tried += 1
    count("lenient input: number spellings", tried)
    assert_healthy(client)


def test_the_number_grammar_in_process():
    for value in ("16", "016", 16, 16.0):
        assert GenerationRequest.parse({"prompt": "a cell", "frames": value}).frames == 16
    for value in ("9", "9.5", "10.25", 9, 9.5):
        assert GenerationRequest.parse({"prompt": "a cell", "guidance": value}).guidance == float(value)
    for value in INTEGER_SPELLINGS:  # with the chosen family's rule, the same message as an out-of-range value
        with pytest.raises(RequestError, match="frames: must be between 8 and 32 for I2VGen-XL"):
            GenerationRequest.parse({"prompt": "a cell", "frames": value}, rule=DEFAULT_SPEC.rule)
        with pytest.raises(RequestError, match="frames: must be a whole number written in digits"):
            GenerationRequest.parse({"prompt": "a cell", "frames": value})
    count("lenient input: grammar cases (in-process)", 9 + len(INTEGER_SPELLINGS))


def test_a_field_sent_twice_is_refused(client):
    for field in ("steps", "prompt", "seed", "image"):
        fields = base_fields(seed="5")
        if field == "image":
            response = client.post("/api/v1/jobs", files=[("image", ("a.png", PNG, "image/png")),
                                                          ("image", ("b.png", PNG, "image/png")),
                                                          *((k, (None, v)) for k, v in fields)])
        else:
            value = dict(fields)[field]
            response = post_fields(client, [*fields, (field, value)])  # even the same value twice
        assert_refused(response, 422, contains="more than once")
    count("lenient input: repeated fields", 4)


def test_form_text_that_is_not_utf8_is_refused_and_utf8_is_kept_exactly(client):
    for raw in (b"\xff\xfe\xfa motion", b"caf\xe9 scene", b"\xc3\x28 cell", b"\xed\xa0\x80 surrogate", b"ok \x80"):
        fields = [(k, v) for k, v in base_fields() if k != "prompt"] + [("prompt", raw)]
        assert_refused(post_fields(client, fields), 422, contains="UTF-8")
    assert_refused(post_fields(client, base_fields() + [("negative_prompt", b"\xff\xfe")]), 422, contains="UTF-8")
    # Real UTF-8, accents and Chinese included, arrives as typed (it used to be guessed as Latin-1).
    prompt = "café: 细胞 dividing → two cells"
    response = post_fields(client, [(k, v) for k, v in base_fields() if k != "prompt"] + [("prompt", prompt.encode())])
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert client.get(f"/api/v1/jobs/{job_id}").json()["request"]["prompt"] == prompt
    count("lenient input: form encodings", 7)


INVISIBLE = ["\u200b", "\u200b\u200c\u200d\u2060", "\u200e\u200f", "\u202a\u202b\u202c\u202d\u202e",
             "\u2066\u2067\u2068\u2069", "\ufeff", "\u00ad", "\u3164", "\u2800", "\u0301\u0302", " \u200b \u2009 \u3000"]


def test_a_prompt_of_only_invisible_characters_is_empty(client):
    for prompt in INVISIBLE:
        fields = [(k, v) for k, v in base_fields() if k != "prompt"] + [("prompt", prompt.encode())]
        assert_refused(post_fields(client, fields), 422, contains="prompt")
        assert not has_visible_text(prompt)
    assert has_visible_text("a\u200b") and has_visible_text("细胞") and has_visible_text("H₂O")
    count("lenient input: invisible prompts", len(INVISIBLE))


def jpeg_with_junk_profile(size: int = 900_000) -> bytes:
    picture = images.gradient_picture(640, 480)
    junk = bytes(np.random.default_rng(6).integers(0, 256, size, dtype=np.uint8))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=90, icc_profile=junk,
                 exif=Image.Exif().tobytes(), comment=b"x" * 60_000)
    return buffer.getvalue()


def test_stored_uploads_hold_pixels_not_metadata(client, server):
    data = jpeg_with_junk_profile()
    with Image.open(io.BytesIO(data)) as original:
        assert len(original.info["icc_profile"]) == 900_000
    uploads = server.home / "uploads"
    before = set(uploads.iterdir())
    response = post_fields(client, base_fields(), image=data)
    assert response.status_code == 202, response.text
    client.post(f"/api/v1/jobs/{response.json()['id']}/cancel")
    (stored,) = set(uploads.iterdir()) - before
    assert stored.stat().st_size < len(data) / 2, (stored.stat().st_size, len(data))
    with Image.open(stored) as kept:
        assert kept.format == "PNG" and kept.size == (640, 480)
        assert not {"icc_profile", "exif", "comment"} & set(kept.info), kept.info.keys()
        raw = stored.read_bytes()
        assert b"iCCP" not in raw and b"eXIf" not in raw and b"tEXt" not in raw
    count("lenient input: metadata not stored", 1)
