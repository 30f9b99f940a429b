"""The panel a teacher sees when the model cannot run (a first start without weights, or broken
files), and the rule that keeps Generate off meanwhile.

Pure functions of the model's state: `first_run_html` says what is missing and gives commands
that work as printed from the app's folder; `generate_allowed` decides whether Generate can act.
"""

from __future__ import annotations

import html
from pathlib import Path

from i2v.download import download_command, i2v_program
from i2v.engine.host import ModelState, ModelStatus
from i2v.settings import Settings
from i2v.i18n import t

BLOCKING = frozenset({ModelState.MISSING, ModelState.FAILED})
"""States in which a job would fail at once: Generate is off and the panel shows."""
TINY_START = "I2V_MODEL=tiny ./start_app.sh"


def generate_allowed(status: ModelStatus) -> bool:
    """Generate stays on while the model loads (jobs wait for it); off when it is missing or broken."""
    return status.state not in BLOCKING


def _first_sentence(detail: str) -> str:
    """The reason without the engine's own how-to (which names a command that is not on PATH)."""
    sentence = detail.split(". ")[0].strip()
    return sentence if sentence.endswith(".") else sentence + "."


def _command(text: str) -> str:
    return f"<pre class='i2v-command'><code>{html.escape(text)}</code></pre>"


def _is_folder(model: str) -> bool:
    return model.startswith(("/", ".", "~")) or Path(model).expanduser().exists()


def first_run_html(status: ModelStatus, settings: Settings, lang: str, cwd: Path | None = None,
                   device: str | None = None) -> str:
    """The panel's HTML; "" when the model can run (ready, loading, not loaded yet). `device` is
    where the model would compute here: on "cpu" the panel says there is no GPU before it offers
    a download of many gigabytes."""
    if status.state not in BLOCKING:
        return ""
    folder = (cwd or Path.cwd()).absolute()
    tiny = f"<li>{t('ui.firstrun.tiny', lang)}{_command(TINY_START)}</li>"
    if status.state == ModelState.FAILED:
        body = (f"<h2>{t('ui.firstrun.failed_title', lang)}</h2>"
                f"<p>{t('ui.firstrun.failed', lang, detail=html.escape(status.detail.rstrip('.')))}</p>"
                f"{_command(f'{i2v_program(folder)} doctor')}<ol>{tiny}</ol>")
        return f"<div class='i2v-firstrun i2v-firstrun-failed' data-state='failed'>{body}</div>"
    copy_start = "I2V_MODEL=/path/to/the/copied/folder ./start_app.sh"
    if _is_folder(settings.model):  # I2V_MODEL names a folder that is not a model: no download can fix that
        missing = _first_sentence(status.detail)
        steps = f"<li>{t('ui.firstrun.folder', lang)}{_command(copy_start)}</li>"
    else:
        missing = t("ui.firstrun.weights", lang, model=settings.model)  # escaped below, with the rest
        steps = (f"<li>{t('ui.firstrun.download', lang, folder=html.escape(str(folder)))}"
                 f"{_command(download_command(settings.model, settings.revision, folder))}"
                 f"{t('ui.firstrun.download_then', lang)}</li>"
                 f"<li>{t('ui.firstrun.copy', lang)}{_command(copy_start)}</li>")
    no_gpu = f"<p data-no-gpu>{t('ui.firstrun.no_gpu', lang)}</p>" if device == "cpu" else ""
    body = (f"<h2>{t('ui.firstrun.title', lang)}</h2>{no_gpu}"
            f"<p>{t('ui.firstrun.missing', lang, detail=html.escape(missing))}</p>"
            f"<ol>{steps}{tiny}</ol>")
    return f"<div class='i2v-firstrun' data-state='missing'>{body}</div>"
