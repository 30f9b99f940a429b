"""The `i2v` command: a thin shell over the same services the web app uses.

Exit codes: 0 done, 1 failed while running, 2 bad input (message says what to change).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from i2v.request import FAST_SPEEDUP
from i2v.settings import DEFAULT_MODEL, Settings

REQUEST_FLAGS = ("prompt", "negative_prompt", "resolution", "frames", "fps", "steps", "guidance", "seed", "scheduler", "quality")


class UsageError(Exception):
    """Bad input on the command line: exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130


def _post_flags() -> argparse.ArgumentParser:
    """Post-processing and export flags shared by `generate` and `export`."""
    post = argparse.ArgumentParser(add_help=False)
    group = post.add_argument_group("after generation (CPU)")
    group.add_argument("--interpolate", type=int, choices=(1, 2, 4), help="2 or 4 × more frames from optical flow (same duration)")
    group.add_argument("--smooth", type=float, help="0–1: flow-guided temporal smoothing for jittery clips")
    group.add_argument("--loop", choices=("none", "pingpong", "crossfade"), help="forward-and-back, or a seamless cross-faded loop")
    group.add_argument("--speed", type=float, help="0.25–4 playback speed")
    group.add_argument("--export", help="comma-separated: mp4, webm, gif, frames, sheet, pack")
    group.add_argument("--gif-max-mb", type=float, default=8.0, help="size cap of the GIF (default 8 MB)")
    return post


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="i2v", description="Turn one picture and an English prompt into a short video.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (memory plan, timings)")
    commands = parser.add_subparsers(dest="command", required=True)

    post = _post_flags()
    gen = commands.add_parser("generate", help="make a video from a picture and a prompt", parents=[post])
    gen.add_argument("image", nargs="?", type=Path, help="the picture (PNG, JPEG, WebP, GIF, BMP, TIFF)")
    gen.add_argument("--prompt", help="English description of the motion, e.g. 'chromosomes separating to opposite poles'")
    gen.add_argument("--negative-prompt", help="what to avoid (default: the original recipe's list)")
    gen.add_argument("--resolution", help="256p (draft), 512p (default), 768p or 1024p")
    gen.add_argument("--frames", type=int, help="8–32 (default 16)")
    gen.add_argument("--fps", type=int, help="4–30 (default 8)")
    gen.add_argument("--steps", type=int, help="1–150 denoising steps (default 50)")
    gen.add_argument("--guidance", type=float, help="1–20 (default 9.0): higher follows the prompt more")
    gen.add_argument("--seed", type=int, help="0–4294967295; random when omitted (and recorded)")
    gen.add_argument("--scheduler", help="ddim (default) or dpmpp")
    gen.add_argument("--quality", choices=("standard", "fast"), help=f"standard (default, the original recipe) or fast (≈{FAST_SPEEDUP:g}× faster, small measured deviation; BENCHMARKS.md)")
    gen.add_argument("--allow-downgrade", action="store_true", help="on out-of-memory, allow a lower resolution")
    gen.add_argument("--recipe", type=Path, help="make a video again from its recipe .json (flags override it)")
    gen.add_argument("--preset", help="a science preset's id (see `i2v presets`): its prompt, negative prompt and settings, "
                                      "and its own picture when no IMAGE is given (flags override)")
    gen.add_argument("--model", help=f"hub id, local folder or 'tiny' (default: I2V_MODEL or {DEFAULT_MODEL})")
    gen.add_argument("--out", type=Path, help="archive folder (default: I2V_HOME or ./outputs)")
    gen.set_defaults(handler=cmd_generate)

    dl = commands.add_parser("download", help="fetch the model weights (~11 GB) and verify them")
    dl.add_argument("--model", default=DEFAULT_MODEL)
    dl.add_argument("--revision")
    dl.add_argument("--full-precision", action="store_true", help="fp32 files instead of fp16 (twice the size)")
    dl.set_defaults(handler=cmd_download)

    exp = commands.add_parser("export", help="smooth/loop/export an archived video again, without regenerating", parents=[post])
    exp.add_argument("video", type=Path, help="an archived .mp4, or its recipe .json")
    exp.set_defaults(handler=cmd_export)

    srv = commands.add_parser("serve", help="start the web studio and HTTP API")
    srv.add_argument("--host", help="address to listen on (default 127.0.0.1: this computer only)")
    srv.add_argument("--port", type=int, help="port (default 7860)")
    srv.add_argument("--model", help="hub id, local folder or 'tiny'")
    srv.add_argument("--out", type=Path, help="archive folder (default: I2V_HOME or ./outputs)")
    srv.add_argument("--allow-open", action="store_true", help="allow a network address without I2V_AUTH (trusted networks only)")
    srv.set_defaults(handler=cmd_serve)

    pre = commands.add_parser("presets", help="list the science presets, best matches first for a search")
    pre.add_argument("query", nargs="?", default="", help="words in English or Chinese, e.g. 'why do we have seasons'")
    pre.add_argument("--lang", default="en", help="en (default) or zh: the language of the titles")
    pre.add_argument("--limit", type=int, default=5, help="how many matches a search shows (default 5)")
    pre.set_defaults(handler=cmd_presets)

    doc = commands.add_parser("doctor", help="check GPU, memory, weights, video encoder and disk")
    doc.add_argument("--model")
    doc.set_defaults(handler=cmd_doctor)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from I2V_* variables, with the flags given on this command line on top."""
    flags = {"model": "model", "out": "home", "host": "host", "port": "port"}
    overrides = {field: getattr(args, flag) for flag, field in flags.items() if getattr(args, flag, None)}
    if getattr(args, "allow_open", False):
        overrides["allow_open"] = True
    return Settings(**overrides)


def _request_and_image(args: argparse.Namespace):
    """Merge recipe values (if any) with the flags given, validate, and load the picture."""
    from i2v.image_input import ImageInputError, load_image
    from i2v.recipe import request_from_recipe, sha256_file
    from i2v.request import GenerationRequest, RequestError

    fields: dict = {}
    image_path = args.image
    if args.preset and args.recipe:
        raise UsageError("give --preset or --recipe, not both")
    if args.preset:
        fields, preset_picture = _preset_fields(args.preset)
        image_path = image_path or preset_picture
    if args.recipe:
        try:
            recipe = json.loads(args.recipe.read_text(encoding="utf-8"))
            fields = request_from_recipe(recipe).model_dump()
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot use recipe {args.recipe}: {exc}") from None
        if image_path is None:
            name = str(recipe["input_image"]["file"])
            if Path(name).name != name or "\\" in name or name in ("", ".", ".."):  # a recipe names a file beside itself
                raise UsageError(f"recipe {args.recipe}: input_image.file must be a file name, not the path {name[:80]!r}")
            image_path = args.recipe.parent / name
            if image_path.is_file() and sha256_file(image_path) != recipe["input_image"]["sha256"]:
                raise UsageError(f"{image_path} has changed since the recipe was written; pass the original picture")
        if not args.model and recipe.get("model", {}).get("id"):
            recorded = str(recipe["model"]["id"])
            if recorded.startswith(("/", ".", "~")) or "\\" in recorded or ":" in recorded or Path(recorded).exists():
                # A shared recipe must not make i2v load weights from a folder it names; say so instead.
                raise UsageError(f"recipe {args.recipe} was made with the local model {recorded[:80]!r}; "
                                 "pass --model FOLDER if you trust it")
            args.model = recorded
    for name in REQUEST_FLAGS:
        value = getattr(args, name)
        if value is not None:
            fields[name] = value
    if args.allow_downgrade:
        fields["allow_downgrade"] = True
    if image_path is None:
        raise UsageError("give a picture: i2v generate IMAGE --prompt '...' (or --recipe FILE.json)")
    if "prompt" not in fields:
        raise UsageError("give a prompt: --prompt 'what should move, how, in which direction'")
    try:
        request = GenerationRequest.parse(fields)
    except RequestError as exc:
        raise UsageError(str(exc)) from None
    settings = _settings(args)
    try:
        image = load_image(image_path, max_pixels=settings.max_image_pixels, max_bytes=settings.max_upload_mb * 2**20)
    except FileNotFoundError:
        raise UsageError(f"no such picture: {image_path}") from None
    except ImageInputError as exc:
        raise UsageError(f"{image_path}: {exc}") from None
    return settings, request, image


def _preset_fields(preset_id: str) -> tuple[dict, Path]:
    """A preset's request fields and its template picture. Raises UsageError for an unknown id."""
    from i2v.teaching.presets import get_preset, template_path

    try:
        preset = get_preset(preset_id)
    except KeyError:
        raise UsageError(f"no preset {preset_id!r}; `i2v presets` lists them (`i2v presets WORDS` searches)") from None
    return preset.request_fields(), template_path(preset)


def _post_request(args: argparse.Namespace, recorded: dict | None = None):
    """The PostSpec and export formats asked for (flags over what a recipe recorded), validated up front."""
    from pydantic import ValidationError

    from i2v.post import PostSpec
    from i2v.post.deliver import parse_formats

    fields = dict(recorded or {})
    for name in ("interpolate", "smooth", "loop", "speed"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    try:
        return PostSpec(**fields), parse_formats(args.export)
    except (ValidationError, ValueError) as exc:
        message = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
        raise UsageError(message) from None


def _deliver(video: Path, spec, formats: list[str], gif_max_mb: float) -> Path:
    from i2v.post.deliver import deliver

    if spec.is_identity and not formats:
        return video
    result = deliver(video, spec, formats, gif_max_mb=gif_max_mb)
    for fmt, path in result.files.items():
        print(f"{fmt}: {path}", file=sys.stderr)
    return result.video


def cmd_generate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from i2v.archive import Archive
    from i2v.engine.base import ModelNotAvailable, NonFiniteError
    from i2v.engine.host import EngineHost
    from i2v.service import GenerationService

    settings, request, image = _request_and_image(args)
    recorded_post = _recipe_post(args.recipe)
    spec, formats = _post_request(args, recorded_post)
    request = request.with_seed()
    service = GenerationService(EngineHost(settings), Archive(settings.home))
    print(f"Loading {settings.model} …", file=sys.stderr)
    bar = tqdm(total=request.steps, unit="step", file=sys.stderr, dynamic_ncols=True, desc="denoising")

    def on_progress(progress) -> None:
        bar.total = progress.total
        bar.n = progress.step
        bar.refresh()

    try:
        result = service.generate(request, image, on_progress=on_progress)
    except ModelNotAvailable as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (NonFiniteError, MemoryError) as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    bar.close()
    if result.recipe["model"]["test_model"]:
        print("note: made by the tiny TEST model (random weights): the video is noise, not a result.", file=sys.stderr)
    print(f"seed {request.seed}; recipe {result.entry.recipe}", file=sys.stderr)
    try:
        final = _deliver(result.video, spec, formats, args.gif_max_mb)
    except ValueError as exc:
        print(f"error: the video was made ({result.video}) but post-processing failed: {exc}", file=sys.stderr)
        return 1
    print(final)
    return 0


def _recipe_post(recipe_path: Path | None) -> dict | None:
    if recipe_path is None:
        return None
    try:
        return json.loads(recipe_path.read_text(encoding="utf-8")).get("post")
    except (OSError, ValueError):
        return None


def cmd_export(args: argparse.Namespace) -> int:
    video = args.video.with_suffix(".mp4") if args.video.suffix == ".json" else args.video
    if not video.is_file():
        raise UsageError(f"no archived video at {video}")
    spec, formats = _post_request(args)
    if spec.is_identity and not formats:
        raise UsageError("nothing to do: give --interpolate/--smooth/--loop/--speed and/or --export FORMATS")
    try:
        final = _deliver(video, spec, formats, args.gif_max_mb)
    except (ValueError, FileExistsError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(final)
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from i2v.download import download

    print(f"Downloading {args.model} (fp{'32' if args.full_precision else '16'} weights) …", file=sys.stderr)
    try:
        folder = download(args.model, revision=args.revision, variant=None if args.full_precision else "fp16")
    except Exception as exc:  # noqa: BLE001 - network and hub errors are many; all end the command
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"verified: {folder}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from i2v.web.app import create_app
    from i2v.web.security import InsecureBindError
    from i2v.web.ports import port_in_use

    settings = _settings(args)
    if port_in_use(settings.host, settings.port):
        print(f"error: port {settings.port} on {settings.host} is already in use. Stop the other program or choose another port: i2v serve --port 7861", file=sys.stderr)
        return 1
    try:
        app = create_app(settings)
    except InsecureBindError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    shown = "localhost" if settings.host in ("127.0.0.1", "::1") else settings.host
    print(f"i2v is starting with model {settings.model}. Open http://{shown}:{settings.port}/  (API docs: /api/v1/docs)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info" if args.verbose else "warning")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    """Per preset: id, title and recommended settings (as `generate` flags), then its prompt and a
    command that runs it as printed (`--preset ID` uses the preset's own picture; add a path for yours)."""
    import shlex

    from i2v.download import i2v_program
    from i2v.teaching.i18n import normalize_lang
    from i2v.teaching.presets import load_presets
    from i2v.teaching.search import search_presets

    lang = normalize_lang(args.lang)
    if args.query.strip():
        presets = [preset for preset, _ in search_presets(args.query, limit=max(1, args.limit))]
        if not presets:
            print(f"No preset matches {args.query!r}; run `i2v presets` for the whole list.", file=sys.stderr)
            return 1
    else:
        presets = load_presets()
    program = i2v_program()  # `.venv/bin/i2v` from the app's folder: the printed command runs as printed
    width = max(len(p.id) for p in presets)
    for preset in presets:
        params = " ".join(f"--{name} {value}" for name, value in preset.params.model_dump().items())
        print(f"{preset.id:<{width}}  {preset.title.get(lang)}  [{params}]")
        print(f"    prompt: {preset.prompt}")
        print(f"    {program} generate --preset {shlex.quote(preset.id)}   # its own picture; add YOUR_PICTURE.png to use yours")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from i2v.doctor import run_checks

    checks = run_checks(_settings(args))
    for check in checks:
        print(f"[{'ok' if check.ok else '!!'}] {check.name}: {check.detail}")
        if check.fix:
            print(f"     fix: {check.fix}")
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
