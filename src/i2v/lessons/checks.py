"""Checks for understanding: one question a scene may carry, shown by the lesson packages at the
end of its scene (the lesson video itself never pauses).

A check is multiple choice (2–5 options, one or more correct) or true/false, with feedback for a
right and a wrong answer. Its text is plain text: anything that looks like HTML or script is kept
as written and escaped wherever it is shown (`escaped`), never run. The storyboard drafts one per
scene from the preset's misconception (`draft_check`); the teacher edits, replaces or removes it.
"""

from __future__ import annotations

import html
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from i2v.errors import InvalidInput

MIN_OPTIONS, MAX_OPTIONS = 2, 5
QUESTION_CHARS = 300
OPTION_CHARS = 200
FEEDBACK_CHARS = 600
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_COLON = re.compile(r"(?<!\s):\s")  # "2 : 1" is a ratio, not the end of the claim
# "? The chromatids separate in anaphase. [true]"; "? Which phase … [x] anaphase [ ] prophase"
_ANSWER = re.compile(r"\[(true|false|对|错|正确|错误)\]\s*$", re.IGNORECASE)
_OPTION = re.compile(r"\[(x|X| )\]\s*([^\[]*)")


class CheckError(InvalidInput):
    """A check a teacher can fix (no correct option, too many options, empty text); HTTP 422, exit 2."""


def _text(value: str, what: str, limit: int) -> str:
    text = " ".join(str(value).split())
    if not text:
        raise ValueError(f"the {what} is empty; write it or remove the check")
    if len(text) > limit:
        raise ValueError(f"the {what} has {len(text)} characters; at most {limit}")
    return text


class Option(BaseModel):
    """One answer of a multiple-choice check."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=OPTION_CHARS * 2)
    correct: bool = False

    @field_validator("text")
    @classmethod
    def _words(cls, value: str) -> str:
        return _text(value, "option", OPTION_CHARS)


class Check(BaseModel):
    """One question for a scene. `kind` "truefalse" uses `answer`; "choice" uses `options`."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["choice", "truefalse"]
    lang: Literal["en", "zh"] = "en"
    question: str = Field(max_length=QUESTION_CHARS * 2)
    answer: bool | None = Field(None, description="true/false: whether the statement is true.")
    options: list[Option] = Field(default_factory=list, max_length=50)  # the real limit is checked below
    right: str = Field("", max_length=FEEDBACK_CHARS * 2, description="Feedback for a right answer.")
    wrong: str = Field("", max_length=FEEDBACK_CHARS * 2, description="Feedback for a wrong answer.")

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _text(value, "question", QUESTION_CHARS)

    @field_validator("right", "wrong")
    @classmethod
    def _feedback(cls, value: str) -> str:
        text = " ".join(value.split())
        if len(text) > FEEDBACK_CHARS:
            raise ValueError(f"feedback has {len(text)} characters; at most {FEEDBACK_CHARS}")
        return text

    @model_validator(mode="after")
    def _shape(self) -> Check:
        if self.kind == "truefalse":
            if self.answer is None:
                raise ValueError("a true/false check needs its answer (true or false)")
            if self.options:
                raise ValueError("a true/false check has no options; use kind 'choice' for options")
        else:
            if not MIN_OPTIONS <= len(self.options) <= MAX_OPTIONS:
                raise ValueError(f"a multiple-choice check needs {MIN_OPTIONS} to {MAX_OPTIONS} options "
                                 f"(got {len(self.options)})")
            if not any(option.correct for option in self.options):
                raise ValueError("no option is marked correct; mark at least one right answer")
            texts = [option.text.casefold() for option in self.options]
            if len(set(texts)) != len(texts):
                raise ValueError("two options have the same text")
            if self.answer is not None:
                raise ValueError("a multiple-choice check marks its answers on the options, not in 'answer'")
        return self

    @property
    def correct(self) -> list[int]:
        """Indexes of the right options (true/false: 0 is "true", 1 is "false")."""
        if self.kind == "truefalse":
            return [0 if self.answer else 1]
        return [i for i, option in enumerate(self.options) if option.correct]

    def choices(self) -> list[str]:
        """What the learner picks from, in order (true/false in the check's language)."""
        if self.kind == "truefalse":
            return list(TRUE_FALSE[self.lang])
        return [option.text for option in self.options]

    def feedback(self, right: bool) -> str:
        """The feedback for a right or wrong answer, with a plain default when the teacher wrote none."""
        text = self.right if right else self.wrong
        return text or DEFAULT_FEEDBACK[self.lang][0 if right else 1]


TRUE_FALSE = {"en": ("True", "False"), "zh": ("正确", "错误")}
DEFAULT_FEEDBACK = {"en": ("Right.", "Not quite."), "zh": ("回答正确。", "再想一想。")}


def make_check(data: Any) -> Check:
    """Untrusted data (JSON, a parsed `?` line) → Check, or CheckError naming every problem."""
    if isinstance(data, Check):
        return data
    try:
        return Check.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            where = " → ".join(str(p + 1) if isinstance(p, int) else str(p) for p in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise CheckError("The check is not valid: " + "; ".join(problems) + ".") from None


def escaped(text: str) -> str:
    """Text for HTML: markup a teacher typed is shown as written, never interpreted."""
    return html.escape(text, quote=True)


# ---------------------------------------------------------------- the `?` line of a Markdown outline


def parse_check_line(line: str, lang: str) -> Check:
    """One `?` line → Check. `? The chromatids separate in anaphase. [true]` is true/false;
    `? Which phase separates the chromatids? [x] anaphase [ ] prophase` is multiple choice (the
    `[x]` options are right). Raises CheckError saying how to write the line."""
    text = line.strip().removeprefix("?").removeprefix("？").strip()
    lang = "zh" if lang == "zh" or _HAN.search(text) else "en"
    answer = _ANSWER.search(text)
    if answer:
        word = answer.group(1).lower()
        return make_check({"kind": "truefalse", "lang": lang, "question": text[: answer.start()],
                           "answer": word in ("true", "对", "正确")})
    first = text.find("[")
    if first < 0 or not _OPTION.search(text[first:]):
        raise CheckError(f"The check line {line.strip()[:60]!r} has no answer: end a true/false statement with "
                         "[true] or [false], or list options as [x] right [ ] wrong.")
    options = [{"text": m.group(2), "correct": m.group(1).lower() == "x"} for m in _OPTION.finditer(text[first:])]
    return make_check({"kind": "choice", "lang": lang, "question": text[:first], "options": options})


def check_line(check: Check) -> str:
    """The check written back as its `?` line (without the `?`), as the storyboard editor shows it:
    `parse_check_line(check_line(c), c.lang)` gives `c` again, feedback aside."""
    if check.kind == "truefalse":
        words = ("正确", "错误") if check.lang == "zh" else ("true", "false")
        return f"{check.question} [{words[0] if check.answer else words[1]}]"
    return check.question + " " + " ".join(f"[{'x' if o.correct else ' '}] {o.text}" for o in check.options)


# ---------------------------------------------------------------- drafting from a preset's misconception

# The one preset whose misconception is no "That …" claim: its wrong idea stated as a claim.
_CLAIMS = {
    "electric-motor": ("An electric motor and a generator work on the same principle.",
                       "电动机和发电机的工作原理相同。"),
}


def misconception_claim(preset_id: str, misconception: str, lang: str) -> tuple[str, str]:
    """The misconception's wrong idea as a claim, and the preset's correction (the rest of its text).

    The presets write the English as "That <wrong idea>: <what is right>" and the Chinese as
    "误认为<wrong idea>。<what is right>"."""
    text = " ".join(misconception.split())
    if lang == "zh":
        if text.startswith("误认为"):
            head, _, rest = text.removeprefix("误认为").partition("。")
            head = head.split("——")[0].strip("，, ").replace("，或认为", "，或").replace("或认为", "或")
            return head + "。", rest.strip() or text
        return _CLAIMS.get(preset_id, ("", text))[1], text
    if text.lower().startswith("that "):
        parts = _COLON.split(text[5:], maxsplit=1)
        head = parts[0].strip().rstrip(".").replace(", or that ", ", or ")  # "…, or that X" as one claim
        claim = head[:1].upper() + head[1:] + "."
        rest = parts[1].strip() if len(parts) > 1 else text
        return claim, rest[:1].upper() + rest[1:]
    return _CLAIMS.get(preset_id, ("", text))[0], text


def draft_check(preset: Any, lang: str) -> Check | None:
    """A true/false check from a preset's misconception: the wrong idea as a statement, whose answer
    is false, with the preset's correction as the feedback. None when no claim can be drawn."""
    lang = "zh" if lang == "zh" else "en"
    claim, correction = misconception_claim(preset.id, preset.misconception.get(lang), lang)
    if not claim.strip("。. "):
        return None
    if lang == "zh":
        right, wrong = f"回答正确：这是一个常见的误解。{correction}", f"这是一个常见的误解。{correction}"
    else:
        right, wrong = f"Right: this is a common misconception. {correction}", f"This is a common misconception. {correction}"
    return make_check({"kind": "truefalse", "lang": lang, "question": claim[:QUESTION_CHARS], "answer": False,
                       "right": right[:FEEDBACK_CHARS], "wrong": wrong[:FEEDBACK_CHARS]})


def handout_lines(check: Check) -> tuple[str, str]:
    """The check as printed: the question (with its lettered options, or "True or false?"), and
    its answer for the teacher's last page (the right choices and the right-answer feedback)."""
    zh = check.lang == "zh"
    letters = "ABCDE"
    if check.kind == "truefalse":
        question = f"{check.question} {'（判断对错）' if zh else '(True or false?)'}"
    else:
        question = check.question + "  " + "   ".join(f"{letters[i]}. {text}" for i, text in enumerate(check.choices()))
    right = ", ".join(check.choices()[i] if check.kind == "truefalse" else letters[i] for i in check.correct)
    return question, f"{right}{'。' if zh else '.'} {check.right}".strip()
