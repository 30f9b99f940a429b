"""Every input format → an ordered outline, and every kind of bad input → a message that says what to fix."""

import io
import json
import zipfile

import pytest

from i2v.lessons.input_files import read_zip
from i2v.lessons.outline import LessonInputError
from i2v.lessons.parse import Limits, parse_path, parse_text, parse_upload
from tests.conftest import gradient_picture

LIMITS = Limits(max_scenes=24, max_upload_bytes=10 * 2**20, max_unpacked_bytes=20 * 2**20)


def png(seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    gradient_picture(96, 64, seed).save(buffer, format="PNG")
    return buffer.getvalue()


def zipped(files: dict[str, bytes], **kwargs) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", **kwargs) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_plain_lines_split_into_points_and_descriptions_in_both_languages():
    outline = parse_text("Cell division:\n1. Anaphase: chromatids pulled apart\n- 光合作用：叶片释放氧气\nWhy do we have seasons", LIMITS)
    assert outline.title == "Cell division"
    assert [(p.text, p.description, p.language) for p in outline.points] == [
        ("Anaphase", "chromatids pulled apart", "en"), ("光合作用", "叶片释放氧气", "zh"), ("Why do we have seasons", "", "en")]


def test_markdown_title_sections_bullets_details_and_pictures():
    text = """# Mitosis
Intro paragraph, not a scene.

## Getting ready
- Prophase: chromosomes condensing ![a cell](pics/pro.png)
  - the nuclear envelope fades
  - prompt: chromosomes condensing, slow motion
## Splitting
* **Anaphase** — chromatids *pulled* apart
  ![](./pics/ana.png)
## Telophase
Two nuclei form while the cell pinches.
"""
    from i2v.lessons.input_files import InputFiles

    outline = parse_text(text, LIMITS, pictures=InputFiles("upload", {"pics/pro.png": b"P", "pics/ana.png": b"A"}))
    assert outline.title == "Mitosis" and outline.source == "markdown"
    assert [p.prompt for p in outline.points] == ["chromosomes condensing, slow motion", "", ""]
    got = [(p.section, p.text, p.description, p.picture and p.picture.data) for p in outline.points]
    assert got == [
        ("Getting ready", "Prophase", "chromosomes condensing the nuclear envelope fades", b"P"),
        ("Splitting", "Anaphase", "chromatids pulled apart", b"A"),
        ("Telophase", "Telophase", "Two nuclei form while the cell pinches.", None),  # a section without bullets
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("- Prophase ![](cell.png)", "not uploaded"),
    ("- Prophase ![](../secret.png)", "outside the outline's folder"),
    ("- Prophase ![](/etc/passwd)", "outside the outline's folder"),
    ("- Prophase ![](https://example.org/cell.png)", "is a link"),
    ("# Title\n![](cell.png)\n- Prophase", "not under a bullet"),
])
def test_markdown_picture_references_never_become_paths(text, expected):
    with pytest.raises(LessonInputError, match=expected):
        parse_text(text, LIMITS)


def test_empty_outline_and_too_many_points_are_refused():
    with pytest.raises(LessonInputError, match="empty"):
        parse_text("  \n\n ", LIMITS)
    with pytest.raises(LessonInputError, match="at most 3 scenes"):
        parse_text("a\nb\nc\nd", Limits(3, 2**20, 2**20))


def graph(nodes, edges, **extra):
    return json.dumps({"nodes": [{"id": n, "label": n.title()} if isinstance(n, str) else n for n in nodes], "edges": [
        {"from": a, "to": b, "relation": r} for a, b, r in edges], **extra})


def test_graph_scene_order_is_topological_with_sections_kept_together():
    text = graph(
        ["collection", "precipitation", "evaporation", "condensation", "rises", "returns"],
        [("evaporation", "condensation", "causes"), ("condensation", "precipitation", "causes"),
         ("precipitation", "collection", "then"), ("evaporation", "rises", "part_of"), ("condensation", "rises", "part_of"),
         ("precipitation", "returns", "part_of"), ("collection", "returns", "part_of")],
        title="The water cycle")
    outline = parse_text(text, LIMITS)
    assert outline.source == "graph" and outline.title == "The water cycle"
    assert [(p.section, p.text) for p in outline.points] == [
        ("Rises", "Evaporation"), ("Rises", "Condensation"), ("Returns", "Precipitation"), ("Returns", "Collection")]


def test_graph_edge_from_a_section_orders_all_its_scenes():
    text = graph(["b1", "a1", "a2", "a", "b"], [("a1", "a", "part_of"), ("a2", "a", "part_of"), ("b1", "b", "part_of"),
                                              ("a", "b", "then")])
    assert [p.text for p in parse_text(text, LIMITS).points] == ["A1", "A2", "B1"]


@pytest.mark.parametrize(("nodes", "edges", "expected"), [
    (["pro", "meta", "ana"], [("pro", "meta", "then"), ("meta", "ana", "then"), ("ana", "pro", "causes")],
     "cycle: (pro → meta → ana → pro|meta → ana → pro → meta|ana → pro → meta → ana)"),
    (["pro"], [("pro", "pro", "then")], "cycle: pro → pro"),
    (["pro", "meta"], [("pro", "anaphse", "then")], "'anaphse', which is not a node"),
    (["pro", "meta"], [("pro", "meta", "before")], "relation 'before'"),
    (["pro", "pro"], [], "Two nodes have the id 'pro'"),
    (["x", "s1", "s2"], [("x", "s1", "part_of"), ("x", "s2", "part_of")], "part_of both"),
])
def test_graph_errors_name_what_to_fix(nodes, edges, expected):
    with pytest.raises(LessonInputError, match=expected):
        parse_text(graph(nodes, edges), LIMITS)


def test_a_thousand_nodes_are_refused_before_any_work():
    with pytest.raises(LessonInputError, match="1000 nodes.*at most 24 scenes"):
        parse_text(graph([f"n{i}" for i in range(1000)], []), LIMITS)


def test_zip_of_pictures_with_captions_in_natural_order_with_folders_as_sections():
    data = zipped({
        "lesson/part_1/cell10.png": png(1), "lesson/part_1/cell10.txt": b"Telophase: two nuclei",
        "lesson/part_1/cell2.png": png(2), "lesson/part_1/cell2.txt": "\ufeffProphase\nchromosomes condense\nprompt: chromosomes condensing".encode(),
        "lesson/title.txt": b"Mitosis in pictures", "lesson/__MACOSX/._cell2.png": b"junk",
        "lesson/zh.png": png(3), "lesson/zh.txt": "后期：染色体移向两极".encode("utf-16"),
    })
    outline = parse_upload("mitosis.zip", data, LIMITS)
    assert outline.title == "Mitosis in pictures" and outline.source == "folder"
    assert outline.points[0].prompt == "chromosomes condensing"  # a "prompt:" line is the English prompt
    assert [(p.section, p.text, p.description, p.picture.name) for p in outline.points] == [
        ("part 1", "Prophase", "chromosomes condense.", "part_1/cell2.png"),
        ("part 1", "Telophase", "two nuclei.", "part_1/cell10.png"),
        ("", "后期", "染色体移向两极。", "zh.png"),
    ]


@pytest.mark.parametrize(("files", "expected"), [
    ({"../evil.png": b"x"}, "outside the zip"),
    ({"/abs/evil.png": b"x"}, "outside the zip"),
    ({"a\\..\\evil.png": b"x"}, "outside the zip"),
    ({"cell.png": b"x"}, r"caption file of the same name: cell\.txt"),
    ({"notes.doc": b"x"}, "no outline and no pictures"),
    ({"cell.png": b"x", "cell.txt": "有丝分裂".encode("gbk")}, "not UTF-8.*GBK"),
    ({"a.md": b"- x", "b.json": b"{}"}, "several outlines"),
])
def test_bad_zips_are_refused_with_the_reason(files, expected):
    with pytest.raises(LessonInputError, match=expected):
        parse_upload("upload.zip", zipped(files), LIMITS)


def test_zip_bomb_is_refused_from_its_declared_sizes():
    bomb = zipped({"cell.png": b"\0" * (30 * 2**20), "cell.txt": b"x"}, compression=zipfile.ZIP_DEFLATED)
    assert len(bomb) < 100_000
    with pytest.raises(LessonInputError, match="zip bomb"):
        read_zip(bomb, max_unpacked_bytes=20 * 2**20)
    with pytest.raises(LessonInputError, match="zip bomb"):  # under the total, but a ratio no picture has
        read_zip(bomb, max_unpacked_bytes=100 * 2**20)


def test_symlink_member_and_non_zip_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("cell.png")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(LessonInputError, match="symbolic link"):
        read_zip(buffer.getvalue(), max_unpacked_bytes=2**20)
    with pytest.raises(LessonInputError, match="not a zip"):
        parse_upload("x.zip", b"PK\x03\x04 not really", LIMITS)


def test_folder_and_markdown_file_read_by_the_cli(tmp_path):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(png())
    (tmp_path / "lesson.md").write_text("# T\n- Prophase ![](pics/a.png)\n", encoding="utf-8")
    outline = parse_path(tmp_path / "lesson.md", LIMITS)
    assert outline.points[0].picture.name == "pics/a.png"
    assert parse_path(tmp_path, LIMITS).title == "T"  # the folder holds one outline: it is used
    with pytest.raises(LessonInputError, match="no file or folder"):
        parse_path(tmp_path / "missing.md", LIMITS)


def test_text_inputs_are_one_table_that_the_suffix_lists_and_the_dispatch_read(monkeypatch):
    """Issue 24: a new lesson input is its parser plus one table line; the suffixes the studio's file
    picker offers, the outline a zip may hold and the parser that runs all come from `TEXT_INPUTS`."""
    from i2v.lessons import parse
    from i2v.lessons.outline import Outline, Point

    assert parse.UPLOAD_SUFFIXES == (".json", ".md", ".markdown", ".txt", ".zip")
    assert parse.OUTLINE_SUFFIXES == (".json", ".md", ".markdown")  # plain text is a list, never a zip's outline
    kinds = {"{\"nodes\": [{\"id\": \"a\", \"label\": \"Anaphase\"}]}": "graph", "# Mitosis\n- Anaphase": "markdown",
             "Anaphase\nTelophase": "text"}
    for text, kind in kinds.items():
        assert next(e for e in parse.TEXT_INPUTS if e.recognise(text)).kind == kind
        assert parse_text(text, LIMITS).points[0].text == "Anaphase"

    def tsv(text, limits, title, pictures):
        rows = [row.split("\t") for row in text.splitlines()]
        return Outline(title or "table", tuple(Point(point, description) for point, description in rows), "tsv")

    added = parse.TextInput("tsv", (".tsv",), lambda text: "\t" in text.splitlines()[0], tsv, outline=True)
    monkeypatch.setattr(parse, "TEXT_INPUTS", (added, *parse.TEXT_INPUTS))
    outline = parse_upload("points.tsv", "Anaphase\tpoles\nTelophase\ttwo nuclei".encode(), LIMITS)
    assert outline.source == "tsv" and [p.text for p in outline.points] == ["Anaphase", "Telophase"]
