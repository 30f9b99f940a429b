"""The `i2v` command: a thin shell over the same services the web app uses.

Exit codes: 0 done, 1 failed while running, 2 bad input (message says what to change).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from i2v.engine.registry import DEFAULT_SPEC, SPECS
from i2v.errors import I2VError, InvalidInput, exit_code, user_message
from i2v.settings import DEFAULT_MODEL, Settings

REQUEST_FLAGS = ("prompt", "negative_prompt", "resolution", "frames", "fps", "steps", "guidance", "seed", "scheduler", "quality", "sound")
_D = DEFAULT_SPEC  # `--help` names the default family's ranges; `i2v models` lists every family's


class UsageError(InvalidInput):
    """Bad input on the command line: exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)
    try:
        return args.handler(args)
    except I2VError as exc:  # bad usage or input (UsageError…) and every other error i2v raises on purpose
        print(f"error: {user_message(exc)}", file=sys.stderr)
        return exit_code(exc)  # the kind's: 2 for what the user can fix, 1 for busy/unavailable, 130 cancelled
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130


def configure_logging(verbose: bool) -> None:
    """Warnings and errors from everything; with `verbose`, i2v's own INFO lines too (memory plan,
    timings) but never the libraries' (fontTools prints ~100 INFO lines per PDF it subsets)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("i2v").setLevel(logging.INFO if verbose else logging.WARNING)


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
    family = f"for {_D.title}; other models: see `i2v models`"
    gen.add_argument("--negative-prompt", help="what to avoid (default: the model family's own list)")
    gen.add_argument("--resolution", help=f"{', '.join(_D.resolution_names)} (default {_D.default_resolution}, {family})")
    gen.add_argument("--frames", type=int, help=f"{_D.frames.describe()} (default {_D.frames.default}, {family})")
    gen.add_argument("--fps", type=int, help=f"{_D.fps.describe()} (default {_D.fps.default:g}, {family})")
    gen.add_argument("--steps", type=int, help=f"denoising steps, {_D.steps.describe()} (default {_D.steps.default:g}, {family})")
    gen.add_argument("--guidance", type=float, help=f"{_D.guidance.describe()} (default {_D.guidance.default:g}, {family}): higher follows the prompt more")
    gen.add_argument("--seed", type=int, help="0–4294967295; random when omitted (and recorded)")
    gen.add_argument("--scheduler", help=f"{' or '.join(_D.schedulers)} (default {_D.schedulers[0]}, {family})")
    gen.add_argument("--quality", choices=("standard", "fast"), help=f"standard (default, the family's recipe) or fast ({_D.title}: ≈{_D.fast.speedup:g}× faster, small measured deviation; BENCHMARKS.md)")
    gen.add_argument("--sound", choices=("on", "off"), help="on (default): families that make sound (LTX-2) write it beside the video; off: no audio stream")
    gen.add_argument("--allow-downgrade", action="store_true", help="on out-of-memory, allow a lower resolution")
    able = ", ".join(f"{s.title} ({s.keyframes})" for s in SPECS if s.keyframes != "none")
    gen.add_argument("--end-image", type=Path, metavar="PIC",
                     help=f"a picture for the last frame: the clip moves from IMAGE to PIC ({able})")
    gen.add_argument("--keyframe", action="append", metavar="PIC@POS", default=[],
                     help="a picture at a position between 0 and 1 of the clip, e.g. half.png@0.5 (up to 4; families "
                          "that take keyframes at any frame only); repeat for more")
    gen.add_argument("--recipe", type=Path, help="make a video again from its recipe .json (flags override it)")
    gen.add_argument("--preset", help="a science preset's id (see `i2v presets`): its prompt, negative prompt and settings "
                                      "for the chosen model's family, and its own picture when no IMAGE is given (flags override)")
    tests = ", ".join(spec.test_model for spec in SPECS)
    gen.add_argument("--model", help=f"hub id, local folder or a test model ({tests}); default: I2V_MODEL or {DEFAULT_MODEL}")
    gen.add_argument("--out", type=Path, help="archive folder (default: I2V_HOME or ./outputs)")
    gen.set_defaults(handler=cmd_generate)

    sizes = ", ".join(f"{spec.title} {spec.hub_id} ≈{spec.weights.download_gb:g} GB" for spec in SPECS)
    dl = commands.add_parser("download", help=f"fetch a model's weights and verify them ({sizes})")
    dl.add_argument("--model", default=DEFAULT_MODEL, help=f"a hub id (default {DEFAULT_MODEL})")
    dl.add_argument("--family", choices=[spec.family for spec in SPECS], help="the model's family, for a hub id i2v does not know")
    dl.add_argument("--revision")
    dl.add_argument("--full-precision", action="store_true", help="fp32 files instead of fp16 where the repository has both")
    dl.set_defaults(handler=cmd_download)

    mod = commands.add_parser("models", help="list the model families, their licences and ranges, and what is installed")
    mod.add_argument("--model", help="the default model to list besides the known ones (default: I2V_MODEL)")
    mod.set_defaults(handler=cmd_models)

    ext = commands.add_parser("extend", help="continue a finished video from its last frame with the same model and settings; "
                              "the result is one MP4 (the video, then the continuation), a new entry whose recipe names the first")
    ext.add_argument("video", type=Path, help="an archived .mp4 (its recipe .json beside it)")
    ext.add_argument("--seconds", type=float, required=True, help="how much longer, in seconds (the family's frame rule rounds it)")
    ext.add_argument("--prompt", help="what happens next (default: the video's own prompt)")
    ext.add_argument("--seed", type=int, help="seed of the continuation (default: the video's seed + 1)")
    ext.add_argument("--out", type=Path, help="archive folder (default: I2V_HOME or ./outputs)")
    ext.set_defaults(handler=cmd_extend)

    exp = commands.add_parser("export", help="smooth/loop/export an archived video again, without regenerating", parents=[post])
    exp.add_argument("video", type=Path, help="an archived .mp4, or its recipe .json")
    exp.set_defaults(handler=cmd_export)

    srv = commands.add_parser("serve", help="start the web studio and HTTP API")
    srv.add_argument("--host", help="address to listen on (default 127.0.0.1: this computer only)")
    srv.add_argument("--port", type=int, help="port (default 7860)")
    srv.add_argument("--model", help="hub id, local folder or 'tiny'")
    srv.add_argument("--out", type=Path, help="archive folder (default: I2V_HOME or ./outputs)")
    srv.add_argument("--allow-open", action="store_true", help="allow a network address without I2V_AUTH (trusted networks only)")
    srv.add_argument("--access-log", action="store_true", help="print one line per HTTP request (default: I2V_ACCESS_LOG, off)")
    srv.set_defaults(handler=cmd_serve)

    wrk = commands.add_parser("worker", help="serve a studio's queue from this machine's GPU (several GPU machines, "
                              "one studio; needs Redis: see README 'Several GPU machines')")
    wrk.add_argument("--server", required=True, help="the studio's address, e.g. http://studio.school.lan:7860")
    wrk.add_argument("--token", help="the workers' token (the server's I2V_WORKER_TOKEN). Visible to every user in `ps`: "
                     "prefer the environment variable I2V_WORKER_TOKEN or --token-file")
    wrk.add_argument("--token-file", type=Path, help="read the workers' token from this file (e.g. chmod 600)")
    wrk.add_argument("--broker", help="Redis URL, e.g. redis://:password@studio.school.lan:6379/0. Visible in `ps`: prefer "
                     "the environment variable I2V_BROKER or --broker-file")
    wrk.add_argument("--broker-file", type=Path, help="read the Redis URL (with its password) from this file")
    wrk.add_argument("--gpu", type=int, help="the GPU index this worker uses (one worker process per GPU)")
    wrk.add_argument("--model", action="append", help=f"a model this worker serves and keeps loaded (repeatable; one family "
                     f"per worker; default: I2V_MODEL or {DEFAULT_MODEL})")
    wrk.add_argument("--name", help="how the studio lists this worker (default: host-device-pid, e.g. lab-pc-gpu1-41233); "
                     "the server refuses a name another running worker has (exit code 3)")
    wrk.set_defaults(handler=cmd_worker)

    pre = commands.add_parser("presets", help="list the science presets, best matches first for a search")
    pre.add_argument("query", nargs="?", default="", help="words in English or Chinese, e.g. 'why do we have seasons'")
    pre.add_argument("--lang", default="en", help="en (default) or zh: the language of the titles")
    pre.add_argument("--limit", type=int, default=5, help="how many matches a search shows (default 5)")
    pre.set_defaults(handler=cmd_presets)

    les = commands.add_parser("lesson", help="turn a lesson outline, knowledge graph or folder of captioned pictures into one "
                              "lesson video with cards, captions, a handout and a lesson pack")
    les.add_argument("source", type=Path, help="OUTLINE.md, GRAPH.json, a .txt of points (one per line), a FOLDER of "
                     "pictures with a caption .txt each, or a .zip of any of these")
    les.add_argument("--out", type=Path, help="archive folder (default: I2V_HOME or ./outputs); the lesson goes to lessons/<id>/")
    les.add_argument("--model", help=f"the model for every scene (default: I2V_MODEL or {DEFAULT_MODEL}); test models: {tests}")
    les.add_argument("--quality", choices=("draft", "standard", "high"), default="standard",
                     help="each family's draft/standard/high resolution (default standard)")
    les.add_argument("--fast", action="store_true", help="the family's fast preset for every scene")
    les.add_argument("--steps", type=int, help="denoising steps for every scene (default: the family's)")
    les.add_argument("--frames", type=int, help="frames for every scene (default: the family's choice for each scene's length)")
    les.add_argument("--title", help="the lesson's title (default: from the outline)")
    les.add_argument("--burn-captions", action="store_true", help="draw the captions into the video too")
    les.add_argument("--voice", choices=("own", "en-synthetic", "zh-synthetic", "none"), help="who speaks each scene's "
                     "narration: your recordings (own, with --record-dir), the offline voices (piper for English, "
                     "espeak-ng for Chinese; each scene in its own language) or nobody (default: none)")
    les.add_argument("--record-dir", type=Path, help="a folder of your own recordings, one per scene, named by the "
                     "scene's number: 1.m4a, 02.wav, 3.webm … (WAV, MP3, M4A, OGG/Opus, WebM); sets --voice own")
    les.add_argument("--speaking-rate", type=float, help="the synthetic voice's speed, 0.5–2.0 (default 1.0)")
    les.add_argument("--fill", choices=("hold", "slow", "loop"), help="a clip shorter than its narration: hold its "
                     "last frame (default), slow it down, or loop it")
    les.add_argument("--plan-only", action="store_true", help="make and save the storyboard, print it, generate nothing")
    les.add_argument("--export", help="comma-separated lesson packages to write beside the video: h5p (H5P Interactive "
                     "Video), scorm (SCORM 1.2 zip), page (offline lesson.html zip)")
    les.set_defaults(handler=cmd_lesson)

    doc = commands.add_parser("doctor", help="check GPU, memory, weights, video encoder and disk")
    doc.add_argument("--model")
    doc.set_defaults(handler=cmd_doctor)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from I2V_* variables, with the flags given on this command line on top."""
    flags = {"model": "model", "out": "home", "host": "host", "port": "port"}
    overrides = {field: getattr(args, flag) for flag, field in flags.items() if getattr(args, flag, None)}
    for flag in ("allow_open", "access_log"):
        if getattr(args, flag, False):
            overrides[flag] = True
    return Settings(**overrides)


def _request_and_image(args: argparse.Namespace):
    """Merge recipe values (if any) with the flags given, validate, and load the picture."""
    from i2v.engine.registry import parse_request
    from i2v.image_input import ImageInputError, aspect_warning, load_image
    from i2v.recipe import request_from_recipe, sha256_file
    from i2v.request import RequestError

    fields: dict = {}
    recipe: dict = {}
    image_path = args.image
    if args.preset and args.recipe:
        raise UsageError("give --preset or --recipe, not both")
    if args.preset:
        fields, preset_picture = _preset_fields(args.preset, _settings(args).model)
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
        recorded = str(fields.get("model") or "")
        if not args.model and recorded:
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
    keyframe_paths = _keyframe_flags(args)
    if keyframe_paths is None:  # none given: a recipe's own pictures, else none
        keyframe_paths = _recipe_keyframes(args.recipe, recipe) if args.recipe else []
    fields["keyframes"] = [position for position, _ in keyframe_paths]
    if image_path is None:
        raise UsageError("give a picture: i2v generate IMAGE --prompt '...' (or --recipe FILE.json)")
    if "prompt" not in fields:
        raise UsageError("give a prompt: --prompt 'what should move, how, in which direction'")
    settings = _settings(args)
    fields["model"] = settings.model
    try:
        request = parse_request(fields, settings.model)
    except RequestError as exc:
        raise UsageError(str(exc)) from None
    pictures = []
    for path in [image_path, *(path for _, path in keyframe_paths)]:
        try:
            pictures.append(load_image(path, max_pixels=settings.max_image_pixels, max_bytes=settings.max_upload_mb * 2**20))
        except FileNotFoundError:
            raise UsageError(f"no such picture: {path}") from None
        except ImageInputError as exc:
            raise UsageError(f"{path}: {exc}") from None
    image, keyframes = pictures[0], pictures[1:]
    warning = aspect_warning(image, [(_picture_name(pos), pic) for (pos, _), pic in zip(keyframe_paths, keyframes)])
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return settings, request, image, keyframes


def _picture_name(position: float) -> str:
    return "the end picture" if position == 1 else f"the picture at {position:g}"


def _keyframe_flags(args: argparse.Namespace) -> list[tuple[float, Path]] | None:
    """(position, path) of --end-image and each --keyframe PIC@POS, by position; None when neither
    flag was given (then a recipe's own pictures are used)."""
    if args.end_image is None and not args.keyframe:
        return None
    found: list[tuple[float, Path]] = []
    for value in args.keyframe:
        path, at, position = value.rpartition("@")
        try:
            number = float(position) if at and path else float("nan")
        except ValueError:
            number = float("nan")
        if not 0 < number < 1:
            raise UsageError(f"--keyframe {value[:80]!r}: write PICTURE@POSITION with a position between 0 and 1 "
                             "(not 0 or 1: the first picture is IMAGE, the last --end-image), e.g. half.png@0.5")
        found.append((round(number, 4), Path(path)))
    if args.end_image is not None:
        found.append((1.0, args.end_image))
    positions = [p for p, _ in found]
    if len(set(positions)) != len(positions):
        raise UsageError("two --keyframe pictures have the same position; give each its own")
    return sorted(found, key=lambda item: item[0])


def _recipe_keyframes(recipe_path: Path, recipe: dict) -> list[tuple[float, Path]]:
    """The pictures after the first that a recipe recorded, found beside it and checked against
    their checksums (a changed picture would make another video)."""
    found = []
    for item in recipe.get("keyframes") or []:
        if not isinstance(item, dict):
            raise UsageError(f"recipe {recipe_path}: keyframes must be a list of pictures")
        name = str(item.get("file", ""))
        if Path(name).name != name or "\\" in name or name in ("", ".", ".."):
            raise UsageError(f"recipe {recipe_path}: keyframes file must be a file name, not the path {name[:80]!r}")
        path = recipe_path.parent / name
        if not path.is_file():
            raise UsageError(f"recipe {recipe_path} names the picture {name}, which is not beside it; "
                             "pass it with --end-image / --keyframe")
        from i2v.recipe import sha256_file

        if sha256_file(path) != item.get("sha256"):
            raise UsageError(f"{path} has changed since the recipe was written; pass the original picture")
        try:
            found.append((float(item["position"]), path))
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"recipe {recipe_path}: keyframe {name} has no position") from None
    return found


def _preset_fields(preset_id: str, model: str) -> tuple[dict, Path]:
    """A preset's request fields for `model`'s family and its template picture. Raises UsageError
    for an unknown preset or model."""
    from i2v.engine.registry import UnknownModel, spec_for
    from i2v.teaching.presets import get_preset, template_path

    try:
        preset = get_preset(preset_id)
    except KeyError:
        raise UsageError(f"no preset {preset_id!r}; `i2v presets` lists them (`i2v presets WORDS` searches)") from None
    try:
        spec = spec_for(model)
    except UnknownModel as exc:
        raise UsageError(str(exc)) from None
    return preset.request_fields(spec), template_path(preset)


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
    from i2v.request import RequestError
    from i2v.generation import GenerationService

    settings, request, image, keyframes = _request_and_image(args)
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
        result = service.generate(request, image, on_progress=on_progress, keyframes=keyframes)
    except ModelNotAvailable as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (NonFiniteError, MemoryError, RequestError) as exc:
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


def cmd_extend(args: argparse.Namespace) -> int:
    """A continuation of an archived video, joined to it (`i2v.continuation`); prints the new video's path."""
    from tqdm import tqdm

    from i2v.archive import Archive
    from i2v.continuation import load_parent, continuation_request
    from i2v.engine.host import EngineHost
    from i2v.engine.registry import spec_for
    from i2v.generation import GenerationService

    video = args.video.with_suffix(".mp4") if args.video.suffix == ".json" else args.video
    parent = load_parent(video)
    model = (parent.recipe.get("request") or {}).get("model")
    spec = spec_for(model)
    request = continuation_request(parent, args.seconds, spec.frames.nearest, prompt=args.prompt, seed=args.seed)
    settings = _settings(args)
    service = GenerationService(EngineHost(settings), Archive(settings.home))
    print(f"Extending {video.name} by {request.frames - 1} frames with {model} …", file=sys.stderr)
    bar = tqdm(total=request.steps or 1, unit="step", file=sys.stderr, dynamic_ncols=True, desc="denoising")

    def on_progress(progress) -> None:
        bar.total, bar.n = progress.total, progress.step
        bar.refresh()

    try:
        result = service.generate(request, parent.last_frame, on_progress=on_progress, continues=parent)
    finally:
        bar.close()
    joined = result.recipe["extends"]
    print(f"{joined['parent_frames']} + {joined['new_frames']} frames; colour shift at the join "
          f"{joined['colour_shift_before']} → {joined['colour_shift']} (0–255); recipe {result.entry.recipe}", file=sys.stderr)
    print(result.video)
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
    from i2v.engine.registry import UnknownModel, family_spec, spec_for

    try:
        spec = family_spec(args.family) if args.family else spec_for(args.model)
    except UnknownModel as exc:
        raise UsageError(f"{exc} For another repository of a known family, add --family.") from None
    print(f"Downloading {args.model} ({spec.title}, about {spec.weights.download_gb:g} GB; licence: {spec.licence.name}) …",
          file=sys.stderr)
    try:
        folder = download(args.model, spec, revision=args.revision, full_precision=args.full_precision)
    except Exception as exc:  # noqa: BLE001 - network and hub errors are many; all end the command
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"verified: {folder}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """One block per model this machine offers, then the families not installed with their download line."""
    from i2v.download import download_command
    from i2v.engine.registry import offered_models
    from i2v.engine.spec import KEYFRAME_WORDS

    settings = _settings(args)
    offered = offered_models(settings.model, settings.extra_models)
    shown = {choice.spec.family for choice in offered if not choice.is_test}
    for choice in offered:
        spec = choice.spec
        state = "test model (random weights)" if choice.is_test else "installed" if choice.installed else "not downloaded"
        default = " [default]" if choice.id == settings.model else ""
        print(f"{choice.id}{default} — {spec.title}, {state}; licence: {spec.licence.name}")
        print(f"    frames {spec.frames.describe()} (default {spec.frames.default}), fps {spec.fps.describe()} "
              f"(default {spec.fps.default:g}), resolutions {', '.join(spec.resolution_names)} "
              f"(default {spec.default_resolution}), steps default {spec.steps.default:g}, guidance default {spec.guidance.default:g}")
        print(f"    pictures: the first, and {KEYFRAME_WORDS[spec.keyframes].replace('no picture but the first', 'no other')}"
              + (f" ({spec.keyframe_note})" if spec.keyframe_note else ""))
        if not choice.is_test and not choice.installed:
            print(f"    download (≈{spec.weights.download_gb:g} GB): {download_command(choice.id)}")
    for spec in SPECS:
        if spec.family not in shown:
            print(f"{spec.hub_id} — {spec.title}, not installed (≈{spec.weights.download_gb:g} GB; licence: {spec.licence.name})")
            print(f"    download: {download_command(spec.hub_id)}  (once downloaded, jobs may choose it)")
    listed = {choice.id for choice in offered}
    tests = [f"{spec.test_model} ({spec.title})" for spec in SPECS if spec.test_model not in listed]
    if tests:
        print(f"test models, no download (random weights: they try the app, their videos are noise): {', '.join(tests)}")
        print("    e.g. I2V_MODEL=tiny ./start_app.sh, or --model tiny-wan on any command")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the studio. Every refusal to start is one line on stderr and exit code 1, never a
    traceback: port taken, open bind without a password, bad settings, job table unusable (full disk)."""
    import sqlite3

    from pydantic import ValidationError

    from i2v.jobs.store import StoreUnavailable
    from i2v.web.app import create_app
    from i2v.web.ports import port_in_use
    from i2v.web.security import InsecureBindError
    from i2v.web.serving import serve

    try:
        settings = _settings(args)
    except ValidationError as exc:
        problems = "; ".join(f"I2V_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors())
        print(f"error: bad setting: {problems}", file=sys.stderr)
        return 1
    if port_in_use(settings.host, settings.port):
        print(f"error: port {settings.port} on {settings.host} is already in use. Stop the other program or choose another port: i2v serve --port 7861", file=sys.stderr)
        return 1
    try:
        app = create_app(settings)
    except (InsecureBindError, StoreUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (sqlite3.Error, OSError) as exc:
        print(f"error: cannot use {settings.home}: {exc}. Check free disk space and the folder's permissions.",
              file=sys.stderr)
        return 1
    shown = "localhost" if settings.host in ("127.0.0.1", "::1") else settings.host
    print(f"i2v is starting with model {settings.model}. Open http://{shown}:{settings.port}/  (API docs: /api/v1/docs)", flush=True)
    services = app.state.services
    if services.store.read_only:
        print(f"warning: starting read-only. {services.store.read_only}", file=sys.stderr, flush=True)
    elif (disk := services.jobs.storage()).state != "ok":  # the table can still be written, the disk cannot
        print(f"warning: {disk.detail}", file=sys.stderr, flush=True)
    try:
        stopped_by = serve(app, settings, verbose=args.verbose, on_stop=services.stopping.set)
    except KeyboardInterrupt:  # a Ctrl-C before uvicorn listens for signals
        stopped_by = signal.SIGINT
    if stopped_by == signal.SIGINT:
        _exit_now(130)  # what a terminal, a script and start_app.sh expect after Ctrl-C
    if stopped_by is not None:
        _exit_now(128 + stopped_by, by_signal=stopped_by)  # SIGTERM: end by it, as service managers expect
    return 0


def _exit_now(code: int, by_signal: int | None = None) -> NoReturn:
    """End the process at once, after the server's own shutdown (connections closed, jobs table
    closed). A normal interpreter exit would first wait for, or abort on, what is still running in
    the background: a denoising step that has not reached its cancel check (torch aborts the
    process, "terminate called without an active exception"), Gradio's exit handlers (seconds)."""
    print("stopped", file=sys.stderr)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    if by_signal is not None:  # die of the signal itself (exit status 128 + n in a shell)
        signal.signal(by_signal, signal.SIG_DFL)
        os.kill(os.getpid(), by_signal)
    os._exit(code)


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a GPU worker until stopped (SIGTERM/Ctrl-C). Exit 0 when stopped, 2 for bad flags, 1 when the
    server refuses its token or Redis its password, 3 when another running worker has its name."""
    from pydantic import ValidationError

    from i2v.engine.registry import UnknownModel, spec_for
    from i2v.jobs.remote_worker import run_worker

    try:
        settings = Settings()
    except ValidationError as exc:
        raise UsageError(f"bad setting: {exc.errors()[0]['msg']}") from None
    token = _secret(args.token, args.token_file, "--token", "the workers' token", "I2V_WORKER_TOKEN") or (
        settings.worker_token.get_secret_value() if settings.worker_token else None)
    broker = _secret(args.broker, args.broker_file, "--broker", "the broker's URL", "I2V_BROKER",
                     shown=lambda url: "@" not in url) or settings.broker
    if not token:
        raise UsageError("the worker needs the server's worker token: I2V_WORKER_TOKEN, --token-file or --token")
    if not broker:
        raise UsageError("the worker needs the broker's address: I2V_BROKER, --broker-file or --broker redis://host:6379/0")
    if not args.server.startswith(("http://", "https://")):
        raise UsageError(f"--server must be an http:// or https:// address, not {args.server!r}")
    models = args.model or [settings.model]
    try:
        for model in models:
            spec_for(model)
        return run_worker(server=args.server, token=token, broker_url=broker, models=models, gpu=args.gpu, name=args.name)
    except (UnknownModel, ValueError) as exc:
        raise UsageError(str(exc)) from None


def _secret(value: str | None, path: Path | None, flag: str, what: str, variable: str, *,
            shown=lambda _value: False) -> str | None:
    """A secret from its flag or its file (None: take the setting). A flag's value is on the command
    line, which every user of the machine reads in `ps`, so it is warned about unless `shown(value)`
    says it holds nothing secret (a broker URL without a password)."""
    if value is not None and path is not None:
        raise UsageError(f"give {flag} or {flag}-file, not both")
    if value is not None:
        if not shown(value):
            print(f"warning: {flag} puts {what} on the command line, where every user of this machine sees it (ps); "
                  f"set {variable} in the environment or use {flag}-file instead", file=sys.stderr, flush=True)
        return value
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8").strip()
        loose = path.stat().st_mode & 0o077
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {what} from {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not text:
        raise UsageError(f"{path} is empty; it must hold {what}")
    if loose:
        print(f"warning: other users of this machine may read {path} (chmod 600 {path})", file=sys.stderr, flush=True)
    return text


def cmd_presets(args: argparse.Namespace) -> int:
    """Per preset: id, title and recommended settings (as `generate` flags), then its prompt and a
    command that runs it as printed (`--preset ID` uses the preset's own picture; add a path for yours)."""
    import shlex

    from i2v.download import i2v_program
    from i2v.i18n import normalize_lang
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


def cmd_lesson(args: argparse.Namespace) -> int:
    """Storyboard → every scene generated here (the same GenerationService as `generate`) → assembly.
    Prints the storyboard and the outputs on stderr, the lesson video's path (or with --plan-only the
    lesson file's) last on stdout."""
    from tqdm import tqdm

    from i2v.archive import Archive
    from i2v.engine.base import ModelNotAvailable, NonFiniteError
    from i2v.engine.host import EngineHost
    from i2v.engine.registry import offered_models
    from i2v.lessons.outline import LessonInputError
    from i2v.lessons.packages.build import export_packages, package_names
    from i2v.lessons.service import LessonService
    from i2v.lessons.storyboard import clip_numbers, waiting_scenes
    from i2v.request import RequestError
    from i2v.generation import GenerationService

    try:
        packages = package_names(args.export or "")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = _settings(args)
    archive = Archive(settings.home)
    lessons = LessonService(settings, archive, None, lambda: [c.id for c in offered_models(settings.model, settings.extra_models)])
    try:
        options = lessons.options(settings.model, args.quality, "fast" if args.fast else None, args.steps)
        lesson = lessons.create_from_path(args.source, options, None, title=args.title or "")
        recordings = recording_files(args.record_dir) if args.record_dir else {}
        chosen = {"voice": args.voice or ("own" if recordings else None), "speaking_rate": args.speaking_rate, "fill": args.fill}
        chosen = {key: value for key, value in chosen.items() if value is not None}
        if args.frames is not None or args.burn_captions or chosen:
            data = lesson.model_dump(mode="json") | chosen
            data["burn_captions"] = args.burn_captions
            for scene in data["scenes"]:
                scene["frames"] = args.frames if args.frames is not None else scene["frames"]
            lesson = lessons.update(lesson.id, data, None)
        lesson = add_recordings(lessons, lesson, recordings)
    except LessonInputError as exc:
        raise UsageError(str(exc)) from None
    print(f"{lesson.title} — {len(lesson.scenes)} scenes, model {lesson.model}", file=sys.stderr)
    for number, scene in enumerate(lesson.scenes, start=1):
        numbers = clip_numbers(lesson, scene)
        picture = scene.picture_name or (f"preset {scene.preset}" if scene.preset else "no preset fits: add a picture")
        section = f"[{scene.section}] " if scene.section else ""
        print(f"{number:2d}. {section}{scene.point} — {picture}; {numbers['frames']} frames at {numbers['fps']} fps, "
              f"{numbers['resolution']}\n    prompt: {scene.prompt}\n    caption: {scene.caption}", file=sys.stderr)
    lesson_file = lessons.files.output(lesson.id, "lesson")
    if args.plan_only:
        print(lesson_file)
        return 0
    waiting = waiting_scenes(lesson)
    if waiting:  # the storyboard is saved; nothing is generated for a scene without a picture
        raise UsageError(f"no preset fits scene(s) {', '.join(map(str, waiting))}: add a picture to each (a Markdown "
                         f"![](picture.png) on its bullet, or the studio's Lessons tab), or pick a preset in {lesson_file}")
    generator = GenerationService(EngineHost(settings), archive)
    print(f"Loading {settings.model} …", file=sys.stderr)
    bar = tqdm(total=len(lesson.scenes), unit="scene", file=sys.stderr, dynamic_ncols=True, desc="scenes")

    def on_progress(number: int, progress) -> None:
        bar.n = (number - 1) + progress.step / max(progress.total, 1)
        bar.set_postfix_str(f"scene {number}, step {progress.step}/{progress.total}")

    try:
        video = lessons.generate_here(lesson.id, generator, on_progress=on_progress)
    except (ModelNotAvailable, NonFiniteError, MemoryError, RequestError, ValueError) as exc:
        bar.close()
        print(f"error: {exc}\nThe storyboard is saved: {lesson_file}", file=sys.stderr)
        return 1
    bar.n = len(lesson.scenes)
    bar.close()
    for kind in ("captions", "captions-srt", "handout", "pack"):
        print(f"{kind}: {lessons.files.output(lesson.id, kind)}", file=sys.stderr)
    for name, path in export_packages(lessons, lesson.id, packages).items():
        print(f"{name}: {path}", file=sys.stderr)
    print(f"lesson file: {lesson_file}", file=sys.stderr)
    print(video)
    return 0


RECORDING_SUFFIXES = (".wav", ".mp3", ".m4a", ".ogg", ".opus", ".webm")


def recording_files(folder: Path) -> dict[int, Path]:
    """The recordings in `folder` by scene number (`3.m4a`, `03.wav`); anything else there is a usage error,
    so a misnamed file is said, not silently left out."""
    if not folder.is_dir():
        raise UsageError(f"--record-dir {folder}: not a folder")
    found: dict[int, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if not (path.is_file() and path.stem.isdigit() and path.suffix.lower() in RECORDING_SUFFIXES and int(path.stem) > 0):
            raise UsageError(f"--record-dir: {path.name} is not named by a scene number with a sound suffix "
                             f"(e.g. 1.m4a, 02.wav; {', '.join(RECORDING_SUFFIXES)})")
        if int(path.stem) in found:
            raise UsageError(f"--record-dir: {found[int(path.stem)].name} and {path.name} are both for scene {int(path.stem)}")
        found[int(path.stem)] = path
    return found


def add_recordings(lessons, lesson, recordings: dict[int, Path]):
    """Each recording to its scene; a recording that cannot be used removes the new lesson again (a bad
    input leaves nothing) and says which file and why."""
    from i2v.errors import I2VError

    try:
        for number, path in sorted(recordings.items()):
            if number > len(lesson.scenes):
                raise UsageError(f"--record-dir: {path.name} is for scene {number}, but the lesson has {len(lesson.scenes)} scenes")
            try:
                lesson = lessons.add_recording(lesson.id, str(number), path.read_bytes(), None)
            except I2VError as exc:
                raise type(exc)(f"{path.name}: {exc}") from None
    except BaseException:
        lessons.delete(lesson.id, None)
        raise
    return lesson


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
