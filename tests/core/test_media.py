import json

import numpy as np
import pytest

from i2v.media import encode_mp4, probe, read_video


def clip(frames=12, height=96, width=128):
    t = np.arange(frames)[:, None, None]
    x = np.arange(width)[None, None, :]
    y = np.arange(height)[None, :, None]
    red = (x * 2 + t * 10) % 256
    green = (y * 2 + t * 5) % 256
    blue = np.broadcast_to((t * 20) % 256, (frames, height, width))
    return np.stack(np.broadcast_arrays(red, green, blue), axis=-1).astype(np.uint8)


def test_h264_yuv420p_exact_frames_and_fps(tmp_path):
    path = encode_mp4(clip(12), 8, tmp_path / "a.mp4", metadata={"comment": json.dumps({"seed": 5})})
    info = probe(path)
    assert (info.codec, info.pix_fmt, info.frames, info.fps) == ("h264", "yuv420p", 12, 8)
    assert (info.width, info.height) == (128, 96)
    assert json.loads(info.metadata["comment"]) == {"seed": 5}


def test_decoded_frames_are_close_to_the_source(tmp_path):
    frames = clip(8)
    decoded, fps = read_video(encode_mp4(frames, 12, tmp_path / "b.mp4"))
    assert fps == 12 and decoded.shape == frames.shape
    assert np.abs(decoded.astype(int) - frames.astype(int)).mean() < 6


def test_faststart_puts_the_index_first(tmp_path):
    data = encode_mp4(clip(8), 8, tmp_path / "c.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_odd_sizes_are_cropped_to_even(tmp_path):
    info = probe(encode_mp4(clip(8, 95, 127), 8, tmp_path / "d.mp4"))
    assert (info.width, info.height) == (126, 94)


def test_failed_write_leaves_nothing_behind(tmp_path):
    with pytest.raises(ValueError):
        encode_mp4(np.zeros((0, 16, 16, 3), np.uint8), 8, tmp_path / "e.mp4")
    with pytest.raises(Exception):  # libx264 refuses the preset mid-write
        encode_mp4(clip(4), 8, tmp_path / "f.mp4", preset="no-such-preset")
    assert list(tmp_path.iterdir()) == []
