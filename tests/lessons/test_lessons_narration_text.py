"""Narration text: read from every outline format, or drafted from the point and its preset's
knowledge point (never from the video prompt)."""

import json

from i2v.lessons.parse import parse_text, parse_upload
from i2v.lessons.storyboard import Options, build_storyboard
from tests.lessons.test_lessons_parse import LIMITS, png, zipped


def test_markdown_quote_under_a_bullet_is_that_points_narration():
    text = "# Cells\n- Anaphase: chromatids pulled apart\n  > Watch the two sets move apart.\n  > Each pole gets one.\n- Telophase\n"
    outline = parse_text(text, LIMITS)
    assert outline.points[0].narration == "Watch the two sets move apart. Each pole gets one."
    assert outline.points[0].description == "chromatids pulled apart"
    assert outline.points[1].narration == ""
    lesson = build_storyboard(outline, Options("tiny"), "0" * 16, {})
    assert lesson.scenes[0].narration == "Watch the two sets move apart. Each pole gets one."


def test_graph_node_narration():
    graph = {"title": "T", "nodes": [{"id": "a", "label": "Anaphase", "narration": "Say  this\nslowly."},
                                     {"id": "b", "label": "Telophase"}], "edges": [{"from": "a", "to": "b", "relation": "then"}]}
    outline = parse_upload("g.json", json.dumps(graph).encode(), LIMITS)
    assert [p.narration for p in outline.points] == ["Say this slowly.", ""]


def test_zip_caption_second_paragraph_is_the_narration():
    data = zipped({"cell1.png": png(1), "cell1.txt": "Anaphase: chromatids apart\n\nNow the copies separate.\nLook closely.".encode(),
                   "cell2.png": png(2), "cell2.txt": b"Telophase\nnew nuclei form"})
    outline = parse_upload("cells.zip", data, LIMITS)
    assert outline.points[0].narration == "Now the copies separate. Look closely."
    assert outline.points[0].description == "chromatids apart."
    assert outline.points[1].narration == "" and outline.points[1].description == "new nuclei form."


def test_drafted_narration_uses_the_point_and_the_presets_knowledge_point_not_the_prompt():
    lesson = build_storyboard(parse_text("Mitosis:\n- Anaphase: sister chromatids are pulled apart\n- 有丝分裂后期", LIMITS),
                              Options("tiny"), "0" * 16, {})
    en, zh = lesson.scenes
    assert en.narration.startswith("Anaphase. Sister chromatids are pulled apart.")
    if en.preset:
        from i2v.teaching.presets import load_presets
        preset = {p.id: p for p in load_presets()}[en.preset]
        assert preset.knowledge_point.en in en.narration
    assert en.prompt not in en.narration
    assert zh.lang == "zh" and zh.narration.startswith("有丝分裂后期") and not any("a" <= c <= "z" for c in zh.narration[:6])
