"""The offline Chinese voice (espeak-ng's cmn) speaks each sentence with exact timings, faster at a higher
rate, and a missing engine is a clear 'unavailable' error that says how to install it."""

import numpy as np
import pytest

from i2v.errors import ErrorKind
from i2v.voice import VoiceUnavailable, synthetic_voice
from i2v.voice.espeak_voice import EspeakVoice


def test_espeak_speaks_each_chinese_sentence_back_to_back_and_faster_at_a_higher_rate():
    text = "细胞分裂时，染色单体分开。每一极得到一套染色体！"
    audio, spoken = synthetic_voice("zh").speak(text, "zh", 1.0)
    assert [s.text for s in spoken] == ["细胞分裂时，染色单体分开。", "每一极得到一套染色体！"]
    assert spoken[0].start == 0.0 and spoken[0].end == spoken[1].start
    assert spoken[-1].end == pytest.approx(audio.seconds, abs=0.001) and 1.0 < audio.seconds < 20.0
    assert float(np.abs(audio.samples).max()) > 0.05
    fast, _ = synthetic_voice("zh").speak(text, "zh", 1.6)
    assert fast.seconds < 0.8 * audio.seconds


def test_a_missing_espeak_is_unavailable_with_the_install_line():
    with pytest.raises(VoiceUnavailable, match="apt install espeak-ng") as caught:
        EspeakVoice("espeak-ng-not-installed-here")
    assert caught.value.kind is ErrorKind.UNAVAILABLE
