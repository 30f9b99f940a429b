"""Lessons: a lesson outline, a knowledge graph or a folder of captioned pictures becomes a
storyboard of scenes, every scene is generated through the job queue, and the clips are assembled
into one lesson video with cards, captions, a printable handout and a lesson pack.

parse (`outline`, `parse_text`, `parse_graph`, `input_files`, `parse`) → storyboard (`storyboard`) →
batch (`store`, `batch`) → assemble (`cards`, `assemble`, `captions`, `handout`, `pack`), all
behind `service.LessonService`, which the API, the studio and the CLI call.
"""
