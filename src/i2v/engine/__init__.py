"""Model engines. Each family lives in one self-contained module behind the `VideoEngine` interface."""
