"""Lesson packages with the checks inside: H5P Interactive Video, SCORM 1.2 and one offline page."""
