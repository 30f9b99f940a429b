"""The offline English voice speaks in its own process and reports where each sentence is said."""

import numpy as np

from i2v.voice.piper_voice import PiperEnglishVoice


def test_piper_speaks_each_sentence_with_its_timing_and_a_faster_rate_is_shorter():
    text = "Watch the chromatids separate. Each pole gets one set."
    audio, spoken = PiperEnglishVoice().speak(text, "en", 1.0)
    seconds = audio.samples.shape[1] / audio.rate
    assert 1.5 < seconds < 8.0 and float(np.abs(audio.samples).max()) > 0.05
    assert [s.text for s in spoken] == ["Watch the chromatids separate.", "Each pole gets one set."]
    assert spoken[0].start == 0.0 and spoken[0].end == spoken[1].start and abs(spoken[-1].end - seconds) < 0.01
    fast, _ = PiperEnglishVoice().speak(text, "en", 1.5)
    assert fast.samples.shape[1] < 0.85 * audio.samples.shape[1]
