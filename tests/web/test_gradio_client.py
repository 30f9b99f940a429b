"""The UI's generate action through `gradio_client`, against the real server."""

import json

import pytest
from gradio_client import Client, handle_file

from i2v.media import probe


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


def test_generate_via_gradio_client(server, tmp_path, png_bytes):
    picture = tmp_path / "cell.png"
    picture.write_bytes(png_bytes)
    client = Client(server.url + "/", verbose=False, download_files=str(tmp_path / "downloads"))
    progress, _preview, video, _download, recipe = client.predict(
        handle_file(str(picture)), "a cell dividing slowly", "blurry", "256p", 8, 8, 10, 9.0, 77, "ddim",
        api_name="/generate",
    )
    assert "Done" in progress
    path = video["video"] if isinstance(video, dict) else video
    info = probe(path)
    assert (info.codec, info.frames, info.fps) == ("h264", 8, 8)
    recipe = recipe if isinstance(recipe, dict) else json.loads(open(recipe).read())
    assert recipe["seed"] == 77 and recipe["request"]["steps"] == 10
    # The UI queued through the same job table as the API.
    import httpx

    newest = httpx.get(f"{server.url}/api/v1/jobs").json()["jobs"][0]
    assert newest["status"] == "succeeded" and newest["recipe"]["seed"] == 77
