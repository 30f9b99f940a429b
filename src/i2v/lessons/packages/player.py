"""The one HTML page that plays a lesson and asks its checks: used as the offline page and inside
the SCORM package (which adds the LMS reporting in `scorm.SCORM_JS`).

Every text the teacher wrote travels as JSON in a `<script type="application/json">` block (with
`<`, `>` and `&` written as \\u escapes, so no text can close the block) and is put on the page
with `textContent`, never as markup: a `<script>` in a question shows as those characters.
Captions are added from that JSON as VTTCues, because Chromium refuses a `<track>` file from
file:// (a file URL has no origin). Chinese uses the system's fonts, falling back to a subset of the
bundled font holding only the page's Chinese characters (`font.py`).
"""

from __future__ import annotations

import json
from typing import Any

from i2v.lessons.checks import escaped
from i2v.lessons.packages.font import FAMILY, font_face
from i2v.lessons.packages.material import Material

FONTS = ('system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
         f'"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "{FAMILY}", sans-serif')
UI = {
    "en": {"check": "Check my answer", "continue": "Continue the video", "question": "Question {n} of {total}",
           "right": "Right", "wrong": "Not quite", "score": "Score: {right} of {total}", "pick": "Choose an answer first."},
    "zh": {"check": "检查答案", "continue": "继续播放", "question": "第 {n} 题，共 {total} 题",
           "right": "回答正确", "wrong": "回答错误", "score": "得分：{right} / {total}", "pick": "请先选择一个答案。"},
}


def page_data(material: Material) -> dict[str, Any]:
    """Everything the page's script needs, as plain JSON."""
    lang = "zh" if material.lang == "zh" else "en"
    return {
        "lang": lang, "title": material.title, "ui": UI[lang], "vtt": material.vtt_text,
        "checks": [{"number": c.number, "at": c.at_s, "kind": c.check.kind, "question": c.check.question,
                    "choices": c.check.choices(), "correct": c.check.correct, "multiple": len(c.check.correct) > 1,
                    "right": c.check.feedback(True), "wrong": c.check.feedback(False)} for c in material.checks],
    }


def _json_block(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


PLAYER_JS = r"""
(function () {
  var data = JSON.parse(document.getElementById('i2v-data').textContent);
  var video = document.getElementById('video'), box = document.getElementById('check');
  var shown = {}, answers = {}, current = null;
  document.getElementById('title').textContent = data.title;
  document.title = data.title;
  try {  // captions from the page itself: a <track> file is refused from file://
    var track = video.addTextTrack('captions', data.lang === 'zh' ? '中文' : 'English', data.lang);
    var cues = data.vtt.split(/\r?\n\r?\n/);
    cues.forEach(function (block) {
      var lines = block.split(/\r?\n/), at = lines.findIndex(function (l) { return l.indexOf('-->') >= 0; });
      if (at < 0) return;
      var t = lines[at].split('-->').map(function (s) {
        var p = s.trim().split(' ')[0].split(':').map(Number);
        return p.length === 3 ? p[0] * 3600 + p[1] * 60 + p[2] : p[0] * 60 + p[1];
      });
      var text = lines.slice(at + 1).join('\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      track.addCue(new VTTCue(t[0], t[1], text));
    });
    track.mode = 'showing';
  } catch (e) { /* captions are a help, never a reason to stop the lesson */ }
  function t(key, values) {
    return data.ui[key].replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }
  function ask(check) {
    current = check; shown[check.number] = true; video.pause();
    document.getElementById('counter').textContent = t('question', {n: check.number, total: data.checks.length});
    document.getElementById('question').textContent = check.question;
    var list = document.getElementById('choices'); list.textContent = '';
    check.choices.forEach(function (choice, i) {
      var label = document.createElement('label'), input = document.createElement('input');
      input.type = check.multiple ? 'checkbox' : 'radio'; input.name = 'choice'; input.value = String(i);
      label.appendChild(input); label.appendChild(document.createTextNode(' ' + choice));
      list.appendChild(label);
    });
    var feedback = document.getElementById('feedback'); feedback.textContent = ''; feedback.className = '';
    document.getElementById('submit').hidden = false; document.getElementById('continue').hidden = true;
    box.hidden = false;
  }
  function submit() {
    var chosen = Array.prototype.slice.call(document.querySelectorAll('#choices input:checked')).map(function (i) { return Number(i.value); });
    var feedback = document.getElementById('feedback');
    if (!chosen.length) { feedback.textContent = data.ui.pick; return; }
    var right = chosen.length === current.correct.length && chosen.every(function (i) { return current.correct.indexOf(i) >= 0; });
    answers[current.number] = right;
    feedback.textContent = (right ? data.ui.right : data.ui.wrong) + ' — ' + (right ? current.right : current.wrong);
    feedback.className = right ? 'right' : 'wrong';
    document.querySelectorAll('#choices input').forEach(function (i) { i.disabled = true; });
    document.getElementById('submit').hidden = true; document.getElementById('continue').hidden = false;
    var count = Object.keys(answers).filter(function (k) { return answers[k]; }).length;
    document.getElementById('score').textContent = t('score', {right: count, total: data.checks.length});
    if (window.i2vReport) window.i2vReport(current, chosen, right, answers, data.checks.length);
  }
  function next() {
    box.hidden = true; current = null;
    var waiting = data.checks.filter(function (c) { return !shown[c.number] && video.currentTime >= c.at - 0.3; });
    if (waiting.length) { ask(waiting[0]); return; }
    if (!video.ended) video.play();
  }
  video.addEventListener('timeupdate', function () {
    if (current) return;
    var due = data.checks.filter(function (c) { return !shown[c.number] && video.currentTime >= c.at - 0.3; });
    if (due.length) ask(due[0]);
  });
  video.addEventListener('ended', function () {
    var left = data.checks.filter(function (c) { return !shown[c.number]; });
    if (left.length && !current) ask(left[0]);
    if (window.i2vEnded) window.i2vEnded(answers, data.checks.length);
  });
  document.getElementById('submit').addEventListener('click', submit);
  document.getElementById('continue').addEventListener('click', next);
  window.i2vLesson = {data: data, answers: answers, ask: ask};
})();
"""

STYLE = f"""
body {{ font-family: {FONTS}; margin: 0 auto; max-width: 960px; padding: 1rem; color: #111; background: #fff; }}
video {{ width: 100%; background: #000; }}
#check {{ border: 2px solid #246; border-radius: 8px; padding: 1rem; margin-top: 1rem; }}
#choices label {{ display: block; padding: .4rem 0; font-size: 1.1rem; }}
#feedback.right {{ color: #075e07; }} #feedback.wrong {{ color: #8a1c1c; }}
button {{ font: inherit; padding: .4rem 1rem; margin-right: .5rem; }}
"""


def render_page(material: Material, *, video: str = "lesson.mp4", extra_js: str = "") -> str:
    """The lesson page: `video` is the MP4's name beside it."""
    data = page_data(material)
    lang = data["lang"]
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escaped(material.title)}</title>
<style>{font_face(json.dumps(data, ensure_ascii=False))}{STYLE}</style>
</head>
<body>
<h1 id="title">{escaped(material.title)}</h1>
<video id="video" controls playsinline preload="auto" src="{escaped(video)}"></video>
<p id="score" aria-live="polite"></p>
<section id="check" hidden aria-live="polite">
<p id="counter"></p>
<p id="question"></p>
<div id="choices"></div>
<button id="submit" type="button">{escaped(UI[lang]['check'])}</button>
<button id="continue" type="button" hidden>{escaped(UI[lang]['continue'])}</button>
<p id="feedback"></p>
</section>
<script id="i2v-data" type="application/json">{_json_block(data)}</script>
<script>{extra_js}</script>
<script>{PLAYER_JS}</script>
</body>
</html>
"""
