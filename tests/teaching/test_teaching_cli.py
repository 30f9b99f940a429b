"""`i2v presets [QUERY] [--lang zh]`: one line per preset with its recommended generate flags."""

from __future__ import annotations

import pytest

from i2v.cli import main
from i2v.teaching.presets import load_presets


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["presets", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


LINES_PER_PRESET = 3  # id, title and flags; the prompt; a command that runs it


def test_lists_every_preset_with_title_params_prompt_and_a_command(capsys) -> None:
    code, lines, _ = run(capsys)
    presets = load_presets()
    assert code == 0 and len(lines) == LINES_PER_PRESET * len(presets)
    first = presets[0]
    assert lines[0].split()[0] == first.id and first.title.en in lines[0]
    p = first.params
    assert f"--resolution {p.resolution} --frames {p.frames} --fps {p.fps} --steps {p.steps} --guidance {p.guidance}" in lines[0]
    assert lines[1].strip() == f"prompt: {first.prompt}"
    assert lines[2].split("#")[0].split()[-3:] == ["generate", "--preset", first.id]


@pytest.mark.parametrize(("query", "expected"), [("why do we have seasons", "earth-orbit"), ("有丝分裂", "mitosis")])
def test_search_puts_the_best_match_first(capsys, query: str, expected: str) -> None:
    code, lines, _ = run(capsys, query)
    assert code == 0 and lines[0].split()[0] == expected
    assert f"--preset {expected}" in lines[2]


def test_chinese_titles_and_no_match(capsys) -> None:
    code, lines, _ = run(capsys, "mitosis", "--lang", "zh")
    mitosis = next(p for p in load_presets() if p.id == "mitosis")
    assert code == 0 and mitosis.title.zh in lines[0]
    code, lines, err = run(capsys, "xyzzy")
    assert code == 1 and lines == [] and "No preset matches" in err
