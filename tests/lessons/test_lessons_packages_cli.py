"""`i2v lesson … --export h5p,scorm,page`: the packages written beside the video; a bad check or a
bad package name exits 2 with one line."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.lessons.test_lessons_cli import i2v


def test_a_bad_check_line_exits_2(tmp_path):
    outline = tmp_path / "outline.md"
    outline.write_text("# Mitosis\n- Anaphase: chromatids separate\n  ? Which? [ ] prophase [ ] telophase\n")
    done = i2v(str(outline), "--plan-only", home=tmp_path / "home")
    assert done.returncode == 2 and "no option is marked correct" in done.stderr and "Traceback" not in done.stderr
    options = " ".join(f"[x] o{i}" for i in range(50))
    outline.write_text(f"# Mitosis\n- Anaphase\n  ? Which? {options}\n")
    done = i2v(str(outline), "--plan-only", home=tmp_path / "home")
    assert done.returncode == 2 and "2 to 5 options" in done.stderr


def test_an_unknown_package_exits_2(tmp_path):
    outline = tmp_path / "outline.md"
    outline.write_text("- Anaphase\n")
    done = i2v(str(outline), "--export", "h5p,moodle", home=tmp_path / "home")
    assert done.returncode == 2 and "'moodle'" in done.stderr and "h5p, scorm, page" in done.stderr


@pytest.mark.slow
def test_export_writes_the_three_packages(tmp_path):
    outline = tmp_path / "outline.md"
    outline.write_text("# Mitosis\n- Anaphase: sister chromatids pulled to the poles\n"
                       "  ? The sister chromatids separate in anaphase. [true]\n", encoding="utf-8")
    done = i2v(str(outline), "--quality", "draft", "--steps", "2", "--frames", "8", "--export", "h5p,scorm,page",
               home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip().splitlines()[-1]).parent
    written = {name: folder / f"mitosis{suffix}" for name, suffix in (("h5p", ".h5p"), ("scorm", "-scorm.zip"),
                                                                    ("page", "-page.zip"))}
    for name, path in written.items():
        assert f"{name}: {path}" in done.stderr and zipfile.is_zipfile(path)
    with zipfile.ZipFile(written["h5p"]) as archive:
        content = json.loads(archive.read("content/content.json"))
    [interaction] = content["interactiveVideo"]["assets"]["interactions"]
    assert interaction["action"]["params"]["correct"] == "true"  # the teacher's own check, not the drafted one
