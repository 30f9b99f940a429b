"""A first start without weights is an expected state: the host logs one warning line, no traceback."""

import logging

from i2v.engine.host import EngineHost, ModelState
from i2v.settings import Settings


def test_missing_weights_log_one_line_without_traceback(tmp_path, caplog):
    host = EngineHost(Settings(home=tmp_path, model="nobody-here/no-such-model"))
    with caplog.at_level(logging.INFO, logger="i2v.engine.host"):
        host.start_background_load().join(60)
    assert host.status.state == ModelState.MISSING
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1, [r.getMessage() for r in problems]
    (record,) = problems
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "nobody-here/no-such-model" in record.getMessage() and "\n" not in record.getMessage()


def test_other_load_failures_still_log_the_traceback(tmp_path, caplog):
    broken = tmp_path / "broken"
    for component in ("unet", "vae", "text_encoder", "image_encoder"):  # all there, but the UNet's config is damaged
        (broken / component).mkdir(parents=True)
    (broken / "unet" / "config.json").write_text("{ not json")
    host = EngineHost(Settings(home=tmp_path, model=str(broken)))
    with caplog.at_level(logging.INFO, logger="i2v.engine.host"):
        host.start_background_load().join(60)
    assert host.status.state == ModelState.FAILED
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)
