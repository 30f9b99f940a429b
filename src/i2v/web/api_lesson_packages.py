"""Lesson packages over HTTP: `GET /api/v1/lessons/{id}/h5p`, `/scorm`, `/page`, built from the
assembled lesson and its checks (see `i2v.lessons.packages`). Included before the lessons router,
whose `/{kind}` download would otherwise answer these names with a 404."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from i2v.lessons.packages.build import build_lesson_package
from i2v.web.deps import ServicesDep

router = APIRouter()


async def _package(services, lesson_id: str, name: str) -> Response:
    # An unknown lesson or a lesson not made yet is an I2VError: the app's one handler answers it.
    built = await asyncio.to_thread(build_lesson_package, services.lessons, lesson_id, name)
    return Response(built.data, media_type=built.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{built.filename}"'})


def _route(name: str, summary: str) -> None:
    async def download(services: ServicesDep, lesson_id: str) -> Response:
        return await _package(services, lesson_id, name)

    download.__name__ = f"download_{name}"
    router.add_api_route(f"/lessons/{{lesson_id}}/{name}", download, methods=["GET"], summary=summary,
                         response_class=Response)


_route("h5p", "The lesson as an H5P Interactive Video (.h5p), its checks as interactions")
_route("scorm", "The lesson as a SCORM 1.2 package (.zip) that reports the checks' score to the LMS")
_route("page", "The lesson as one offline page (lesson.html with the MP4 and captions beside it, zipped)")
