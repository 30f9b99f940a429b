"""Kill the server (SIGKILL, no shutdown code) with jobs queued and running; every job is accounted for."""

from tests.support.servers import SLOW, finished, free_port, start_server, submit, wait_for


def test_restart_keeps_every_job_and_retries_a_running_one_once(tmp_path, png_bytes):
    home = tmp_path / "home"
    port = free_port()
    first = start_server(home, port)
    try:
        with first.client() as client:
            long_job = submit(client, png_bytes, **SLOW, seed="1").json()["id"]
            done = None
            waiting = [submit(client, png_bytes, seed=str(s)).json()["id"] for s in (2, 3)]
            wait_for(client, long_job, lambda j: j["status"] == "running" and j["progress"]["step"] >= 1)
    finally:
        first.kill()

    second = start_server(home, port)
    try:
        with second.client() as client:
            # The interrupted job went back to the queue once and runs again (attempt 2).
            wait_for(client, long_job, lambda j: j["status"] == "running")
            # Kill it a second time while it runs: now it must fail with the reason.
    finally:
        second.kill()

    third = start_server(home, port)
    try:
        with third.client() as client:
            job = client.get(f"/api/v1/jobs/{long_job}").json()
            assert job["status"] == "failed"
            assert "server stopped twice" in job["error"]
            for job_id in waiting:
                done = wait_for(client, job_id, finished)
                assert done["status"] == "succeeded", done
            history = client.get("/api/v1/jobs", params={"limit": 100}).json()
            assert {j["id"] for j in history["jobs"]} == {long_job, *waiting}
            assert history["total"] == 3
            # Finished outputs stay listed and served after the restart.
            assert client.get(done["video_url"]).status_code == 200
    finally:
        third.stop()
