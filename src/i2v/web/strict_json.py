"""The API's JSON reader is `i2v.strict_json` (lessons read uploaded JSON through it too); this
name stays for the routes that import it from here."""

from i2v.strict_json import MAX_DEPTH, MAX_INTEGER_DIGITS, JsonBodyError, json_object, loads

__all__ = ["MAX_DEPTH", "MAX_INTEGER_DIGITS", "JsonBodyError", "json_object", "loads"]
