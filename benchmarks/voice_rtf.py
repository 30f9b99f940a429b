"""Narration costs on this machine: each offline voice's real-time factor (seconds of compute per second
of speech) and the cost of mixing a lesson's sound track per minute of lesson.

    .venv/bin/python benchmarks/voice_rtf.py          # ≈1 min on the 2-core CPU

The first English call includes starting the piper process and loading its model (once per lesson);
the later calls reuse it. Mixing places speech-like sound over a 1- and a 5-minute lesson and brings it
to −16 LUFS with true peaks under the ceiling (`i2v.lessons.soundtrack.mix`).
"""

from __future__ import annotations

import time

import numpy as np

from i2v.lessons.soundtrack import Placed, mix
from i2v.loudness import integrated_lufs, true_peak_dbtp
from i2v.voice import close_voice, synthetic_voice

TEXT = {
    "en": ("In anaphase each centromere divides, so the two sister chromatids become two chromosomes. "
           "Spindle fibres pull one full set to each pole of the cell. The chromosome number doubles for a moment. "
           "Watch how both poles end up with identical sets."),
    "zh": "有丝分裂后期，着丝粒分裂，姐妹染色单体分开，成为两条染色体。纺锤丝把两套完全相同的染色体拉向细胞两极。染色体数目暂时加倍。",
}


def voices() -> list[tuple[str, float, float]]:
    rows = []
    for lang, text in TEXT.items():
        voice = synthetic_voice(lang)
        for call in ("first", "second", "third"):
            started = time.perf_counter()
            audio, _ = voice.speak(text, lang, 1.0)
            took = time.perf_counter() - started
            rows.append((f"{lang} {type(voice).__name__}, {call} call", audio.seconds, took))
        close_voice(voice)
    return rows


def mixing(minutes: float, speech) -> tuple[float, float, float]:
    seconds = minutes * 60
    voices_placed = [Placed(at, speech) for at in np.arange(0.5, seconds - speech.seconds, speech.seconds + 1.0)]
    started = time.perf_counter()
    track = mix(voices_placed, [], seconds)
    took = time.perf_counter() - started
    return took, integrated_lufs(track), true_peak_dbtp(track)


if __name__ == "__main__":
    print("| voice | speech (s) | compute (s) | real-time factor |\n|---|---|---|---|")
    for name, speech, took in voices():
        print(f"| {name} | {speech:.2f} | {took:.2f} | {took / speech:.3f} |")
    sample, _ = synthetic_voice("en").speak(TEXT["en"], "en", 1.0)
    print("\n| lesson length | mixing (s) | per minute of lesson (s) | loudness (LUFS) | true peak before AAC (dBTP) |\n|---|---|---|---|---|")
    for minutes in (1, 5):
        took, lufs, peak = mixing(minutes, sample)
        print(f"| {minutes} min | {took:.2f} | {took / minutes:.2f} | {lufs:.2f} | {peak:.2f} |")
