"""Scene timing from narration length, and sentence timings spread by characters for recordings."""

from i2v.lessons.narration import PAUSE_SECONDS, scene_seconds, sentences, spread_by_characters


def test_sentences_split_english_and_chinese():
    assert sentences("Look here.  The poles move!\nWhy?") == ["Look here.", "The poles move!", "Why?"]
    assert sentences("染色体分开。移向两极！") == ["染色体分开。", "移向两极！"]
    assert sentences("  ") == []


def test_scene_lasts_narration_plus_pause_never_less_than_its_clip():
    assert scene_seconds(2.0, 5.0) == 5.0 + PAUSE_SECONDS
    assert scene_seconds(8.0, 5.0) == 8.0
    assert scene_seconds(3.0, 0.0) == 3.0


def test_recording_cues_spread_by_characters_and_fill_the_scene():
    cues = spread_by_characters("Short one. A much longer second sentence here.", 10.0)
    assert [c.text for c in cues] == ["Short one.", "A much longer second sentence here."]
    assert cues[0].start == 0.0 and cues[-1].end == 10.0 and cues[0].end == cues[1].start
    assert cues[1].end - cues[1].start > 2 * (cues[0].end - cues[0].start)
