"""A SCORM 1.2 package: `imsmanifest.xml` and one SCO, the lesson page, which reports to the LMS
through the SCORM 1.2 API it finds (`window.API` in a parent frame or the opener):
`cmi.core.lesson_status` (incomplete while watching; passed/failed once every check is answered,
at MASTERY percent; completed at the end of a lesson without checks), `cmi.core.score.raw/min/max`
(percent of checks right) and one `cmi.interactions.n.*` per answer. Without an LMS it still plays."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from i2v.lessons.packages.material import Material
from i2v.lessons.packages.player import render_page

MASTERY = 80  # percent of checks right for "passed"

SCORM_JS = r"""
(function () {
  function findAPI(win) {
    for (var hops = 0; win && hops < 10; hops++) {
      try { if (win.API) return win.API; } catch (e) { return null; }
      if (win.parent === win) break;
      win = win.parent;
    }
    return null;
  }
  var api = findAPI(window) || (window.opener ? findAPI(window.opener) : null);
  var started = Date.now(), interactions = 0, finished = false;
  function set(key, value) { if (api) api.LMSSetValue(key, String(value)); }
  function hms(ms) {
    var s = Math.floor(ms / 1000), pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return pad(Math.floor(s / 3600)) + ':' + pad(Math.floor(s / 60) % 60) + ':' + pad(s % 60);
  }
  if (api) {
    api.LMSInitialize('');
    var status = api.LMSGetValue('cmi.core.lesson_status');
    if (status === 'not attempted' || status === '') set('cmi.core.lesson_status', 'incomplete');
    set('cmi.core.score.min', 0); set('cmi.core.score.max', 100);
    api.LMSCommit('');
  }
  window.i2vReport = function (check, chosen, right, answers, total) {
    if (!api) return;
    var n = interactions++, letters = 'abcde', tf = check.kind === 'truefalse';
    var response = function (list) { return list.map(function (i) { return tf ? (i === 0 ? 't' : 'f') : letters[i]; }).join(','); };
    set('cmi.interactions.' + n + '.id', 'check_' + check.number);
    set('cmi.interactions.' + n + '.type', tf ? 'true-false' : 'choice');
    set('cmi.interactions.' + n + '.time', hms(Date.now() - started + 0).slice(0, 8));
    set('cmi.interactions.' + n + '.correct_responses.0.pattern', response(check.correct));
    set('cmi.interactions.' + n + '.student_response', response(chosen));
    set('cmi.interactions.' + n + '.result', right ? 'correct' : 'wrong');
    set('cmi.interactions.' + n + '.weighting', 1);
    var done = Object.keys(answers).length, good = Object.keys(answers).filter(function (k) { return answers[k]; }).length;
    var score = total ? Math.round(100 * good / total) : 100;
    set('cmi.core.score.raw', score);
    if (done >= total) set('cmi.core.lesson_status', score >= MASTERY ? 'passed' : 'failed');
    api.LMSCommit('');
  };
  window.i2vEnded = function (answers, total) {
    if (api && total === 0) { set('cmi.core.lesson_status', 'completed'); api.LMSCommit(''); }
  };
  window.addEventListener('pagehide', function () {
    if (!api || finished) return;
    finished = true;
    set('cmi.core.session_time', hms(Date.now() - started));
    api.LMSFinish('');
  });
})();
""".replace("MASTERY", str(MASTERY))


def manifest(material: Material, identifier: str) -> str:
    """imsmanifest.xml for one SCO (SCORM 1.2, ADL CP 1.2)."""
    title = escape(material.title)
    files = "".join(f'<file href="{name}"/>' for name in ("index.html", "lesson.mp4", "lesson.vtt"))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="{identifier}" version="1.2"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="i2v_org">
    <organization identifier="i2v_org">
      <title>{title}</title>
      <item identifier="i2v_item" identifierref="i2v_sco" isvisible="true">
        <title>{title}</title>
        <adlcp:masteryscore>{MASTERY}</adlcp:masteryscore>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="i2v_sco" type="webcontent" adlcp:scormtype="sco" href="index.html">{files}</resource>
  </resources>
</manifest>
"""


def build_scorm(material: Material, identifier: str = "i2v_lesson") -> bytes:
    """The SCORM 1.2 zip's bytes (manifest at the root, as LMSs require)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest(material, identifier), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("index.html", render_page(material, extra_js=SCORM_JS), compress_type=zipfile.ZIP_DEFLATED)
        archive.write(material.video, "lesson.mp4", compress_type=zipfile.ZIP_STORED)
        archive.writestr("lesson.vtt", material.vtt_text, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


