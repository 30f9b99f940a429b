"""Real-time factor of the offline English voice (seconds of compute per second of speech), whole
call including starting the piper process and loading the model: python benchmarks/voice_rtf.py"""

import time

from i2v.voice.piper_voice import PiperEnglishVoice

TEXT = ("In anaphase each centromere divides, so the two sister chromatids become two chromosomes. "
        "Spindle fibres pull one full set to each pole of the cell. The chromosome number doubles for a moment. "
        "Watch how both poles end up with identical sets.")

if __name__ == "__main__":
    voice = PiperEnglishVoice()
    for _ in range(2):
        started = time.perf_counter()
        audio, spoken = voice.speak(TEXT, "en", 1.0)
        took = time.perf_counter() - started
        seconds = audio.samples.shape[1] / audio.rate
        print(f"en piper joe: {seconds:.2f} s of speech in {took:.2f} s → RTF {took / seconds:.3f} ({len(spoken)} sentences)")
