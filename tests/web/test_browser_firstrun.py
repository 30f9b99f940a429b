"""A first start without weights, as a teacher meets it: the real server with the default model and an
empty Hugging Face cache (offline), the studio in Chromium at 1366×900 in English and Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from i2v.download import download_command
from i2v.settings import DEFAULT_MODEL
from i2v.i18n import t
from i2v.web.ui_firstrun import TINY_START
from tests.support.servers import start_server
from tests.web.test_browser import open_studio, shot
from tests.web.test_browser import pytestmark as browser_marks

pytestmark = browser_marks


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("first-run")
    srv = start_server(home / "outputs", until=frozenset({"missing"}), I2V_MODEL=DEFAULT_MODEL,
                       HF_HOME=str(home / "empty-hf-cache"))
    yield srv
    srv.stop()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_first_run_panel_says_what_to_do_and_generate_is_off(browser, server, lang):
    context, page = open_studio(browser, server, lang)
    panel = page.locator("#i2v-first-run .i2v-firstrun")
    panel.wait_for(state="visible", timeout=30_000)
    box = panel.bounding_box()
    assert box["y"] < 250 and box["y"] + box["height"] <= 900, box  # at the top, on the first screen
    text = panel.inner_text()
    assert t("ui.firstrun.title", lang) in text
    commands = [c.strip() for c in panel.locator("pre").all_inner_texts()]
    # The download command as it runs from the app's folder (the server's working directory), and the test model.
    assert download_command(DEFAULT_MODEL, cwd=Path.cwd()) in commands
    assert commands[0].endswith("i2v download") and TINY_START in commands
    assert any(c.startswith("I2V_MODEL=/") and c.endswith("./start_app.sh") for c in commands)  # copied weights
    assert page.locator("#i2v-check-model").is_visible()
    # Readable: dark text on a light box (a teacher must be able to copy what they see).
    contrast = page.evaluate("""() => {
      const code = document.querySelector('#i2v-first-run pre code'), pre = code.closest('pre');
      const rgb = c => c.match(/[0-9.]+/g).slice(0, 3).map(Number).map(v => v / 255)
        .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      const lum = c => { const [r, g, b] = rgb(c); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const a = lum(getComputedStyle(code).color), b = lum(getComputedStyle(pre).backgroundColor);
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""")
    assert contrast >= 7, contrast

    generate = page.locator("#i2v-generate")
    assert generate.is_disabled()
    reason = page.locator("#i2v-generate-off")
    assert reason.is_visible() and t("ui.generate.off", lang) in reason.inner_text()
    shot(page, f"studio-firstrun-{lang}.png", full_page=True)
    context.close()


def test_the_expected_state_is_one_log_line_without_a_traceback(server):
    with server.client() as client:
        assert client.get("/api/v1/health").json()["model"]["state"] == "missing"
    log = server.log.read_text()
    assert "Traceback" not in log
    warnings = [line for line in log.splitlines() if "model not available" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0], warnings  # one load attempt, one line
