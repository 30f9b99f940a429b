"""Teaching aids around generation: science presets, preset search, the prompt helper and checker,
the symptom guide, the input-image check, crisp text labels over frames, and their en/zh strings.

Nothing here loads a model: every module works offline and fast enough to run as a teacher types.
"""
