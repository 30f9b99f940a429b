"""i2v: turn one still picture and an English prompt into a short, browser-playable video, locally."""

__version__ = "0.1.0"
