"""HTML in prompts and error messages reaches the studio's HTML widgets escaped, never as markup."""

from __future__ import annotations

import dataclasses

from i2v.jobs.store import Job, JobStatus
from i2v.web.ui_presets import prompt_check_html
from i2v.web.ui_status import progress_html
from tests.hardening.conftest import count

EVIL = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>',
        "a cell dividing " * 30 + "<iframe src=javascript:alert(1)>"]


def test_prompt_check_and_progress_escape_markup():
    job = Job(id="0" * 16, status=JobStatus.FAILED, client="c", request={"prompt": "x", "steps": 3}, image="i.png",
              created_at=0.0, started_at=0.0, finished_at=1.0, attempts=1, step=0, total=3, eta_s=None,
              error=None, result=None, cancel_requested=False, position=None)
    for text in EVIL:
        for lang in ("en", "zh"):
            rendered = prompt_check_html(text, lang)
            assert "<script" not in rendered and "<img" not in rendered and "<svg" not in rendered and "<iframe" not in rendered
            shown = progress_html(dataclasses.replace(job, error=text), lang=lang)
            assert "<script" not in shown and "<img" not in shown and "<svg" not in shown and "<iframe" not in shown
    count("html strings checked in UI widgets", len(EVIL) * 2 * 2)
