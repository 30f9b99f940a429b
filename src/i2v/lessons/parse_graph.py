"""A JSON knowledge graph → `Outline`.

    {"title": "Mitosis", "lang": "en",
     "nodes": [{"id": "pro", "label": "Prophase", "description": "…", "image": "pro.png", "lang": "en",
                "prompt": "an English prompt, when the description is not one"}, …],
     "edges": [{"from": "pro", "to": "meta", "relation": "then"},
               {"from": "pro", "to": "phases", "relation": "part_of"}, …]}

Nodes that other nodes are `part_of` are sections (their label titles a section card), the rest are
scenes. Scene order is a topological order of the `then` and `causes` edges; an edge to or from a
section stands for all of its scenes. Ties keep the current section going, then the file's order. A
cycle is refused naming its nodes, so the teacher knows which edge to remove.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Any

from i2v.lessons.input_files import InputFiles, normalise_name
from i2v.lessons.checks import CheckError, make_check
from i2v.lessons.outline import LessonInputError, Outline, Picture, Point, check_points

RELATIONS = ("then", "causes", "part_of")
ORDERING = ("then", "causes")
MAX_TEXT = {"id": 100, "label": 200, "description": 2000, "image": 300, "prompt": 2000, "end_picture": 300, "narration": 2000}


def parse_graph(data: Any, *, max_scenes: int, pictures: InputFiles | None = None, title: str = "") -> Outline:
    """Validate and order a knowledge graph. Raises LessonInputError naming the node, edge or cycle."""
    if not isinstance(data, dict):
        raise LessonInputError('A knowledge graph is a JSON object: {"nodes": [...], "edges": [...]}.')
    nodes_raw, edges_raw = data.get("nodes"), data.get("edges", [])
    if not isinstance(nodes_raw, list) or not nodes_raw:
        raise LessonInputError('The graph needs a non-empty "nodes" list, e.g. [{"id": "pro", "label": "Prophase"}].')
    if not isinstance(edges_raw, list):
        raise LessonInputError('"edges" must be a list, e.g. [{"from": "pro", "to": "meta", "relation": "then"}].')
    # Checked before any work: a graph many times the scene limit is refused outright.
    if len(nodes_raw) > 4 * max_scenes or len(edges_raw) > 40 * max_scenes:
        raise LessonInputError(
            f"The graph has {len(nodes_raw)} nodes and {len(edges_raw)} edges, but a lesson holds at most {max_scenes} "
            "scenes (I2V_LESSON_MAX_SCENES). Split it into several lessons."
        )
    nodes = _nodes(nodes_raw)
    edges = _edges(edges_raw, nodes)
    parent = _sections(edges, nodes)
    sections = set(parent.values())
    scenes = [n for n in nodes if n not in sections]
    ordering = [(a, b) for a, b, relation in edges if relation in ORDERING]
    _refuse_cycle(list(nodes), ordering, "")
    order = _topological(scenes, _expand(ordering, scenes, parent), parent)
    points = []
    for node_id in order:
        node = nodes[node_id]
        picture = None
        if node.get("image"):
            picture = _picture(node["image"], pictures, node_id)
        section = nodes[parent[node_id]]["label"] if node_id in parent else ""
        end_picture = _picture(node["end_picture"], pictures, node_id) if node.get("end_picture") else None
        if end_picture is not None and picture is None:
            raise LessonInputError(f"Node {node_id[:40]!r} has an end_picture but no image to start from; add \"image\".")
        check = None
        if node.get("check") is not None:  # the node's own check for understanding (a Check as JSON)
            try:
                check = make_check(node["check"])
            except CheckError as exc:
                raise LessonInputError(f"Node {node_id[:40]!r}: {exc}") from None
        points.append(Point(node["label"], node.get("description", ""), section, picture, node.get("lang"),
                            prompt=" ".join(str(node.get("prompt") or "").split()), end_picture=end_picture,
                            narration=" ".join(str(node.get("narration") or "").split()),
                            check=check))
    points_t = check_points(points, max_scenes, "graph")
    graph_title = data.get("title")
    if graph_title is not None and not (isinstance(graph_title, str) and 0 < len(graph_title.strip()) <= 200):
        raise LessonInputError('"title" must be text of 1 to 200 characters.')
    lang = data.get("lang")
    if lang is not None and lang not in ("en", "zh"):
        raise LessonInputError(f'"lang" must be "en" or "zh" (got {str(lang)[:20]!r}).')
    top = [nodes[s]["label"] for s in nodes if s in sections and s not in parent]
    return Outline(title or (graph_title or "").strip() or (top[0] if len(top) == 1 else points_t[0].text),
                   points_t, "graph", lang)


def _nodes(raw: list[Any]) -> dict[str, dict[str, str]]:
    nodes: dict[str, dict[str, str]] = {}
    for number, node in enumerate(raw, start=1):
        where = f"Node {number}"
        if not isinstance(node, dict):
            raise LessonInputError(f'{where} must be an object like {{"id": "pro", "label": "Prophase"}}.')
        unknown = sorted(set(node) - {"id", "label", "description", "image", "lang", "prompt", "end_picture",
                                "narration", "check"})
        if unknown:
            raise LessonInputError(f"{where} has unknown field(s) {', '.join(map(repr, unknown[:5]))}; a node has "
                                   "id, label, description, image, end_picture, lang, prompt, narration and check.")
        for key in ("id", "label"):
            if not isinstance(node.get(key), str) or not node[key].strip():
                raise LessonInputError(f'{where} needs a "{key}" (text).')
        for key, limit in MAX_TEXT.items():
            value = node.get(key)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                raise LessonInputError(f'{where} ({str(node["id"])[:40]!r}): "{key}" must be text of at most {limit} characters.')
        if node.get("lang") not in (None, "en", "zh"):
            raise LessonInputError(f'{where} ({node["id"][:40]!r}): "lang" must be "en" or "zh".')
        node_id = node["id"].strip()
        if node_id in nodes:
            raise LessonInputError(f"Two nodes have the id {node_id!r}; every node needs its own id.")
        nodes[node_id] = {**node, "id": node_id, "label": " ".join(node["label"].split()),
                          "description": " ".join(str(node.get("description") or "").split())}
    return nodes


def _edges(raw: list[Any], nodes: dict[str, dict[str, str]]) -> list[tuple[str, str, str]]:
    edges = []
    known = ", ".join(repr(n) for n in list(nodes)[:12]) + (" …" if len(nodes) > 12 else "")
    for number, edge in enumerate(raw, start=1):
        if not isinstance(edge, dict) or not all(isinstance(edge.get(k), str) for k in ("from", "to")):
            raise LessonInputError(f'Edge {number} must be an object like {{"from": "pro", "to": "meta", "relation": "then"}}.')
        source, target = edge["from"].strip(), edge["to"].strip()
        relation = edge.get("relation", "then")
        if relation not in RELATIONS:
            raise LessonInputError(f"Edge {number} ({source[:40]} → {target[:40]}) has the relation {str(relation)[:30]!r}; "
                                   f"use one of {', '.join(RELATIONS)}.")
        for end in (source, target):
            if end not in nodes:
                raise LessonInputError(f"Edge {number} ({source[:40]} → {target[:40]}) refers to {end[:40]!r}, which is not "
                                       f"a node. Known nodes: {known}.")
        edges.append((source, target, relation))
    return edges


def _sections(edges: list[tuple[str, str, str]], nodes: dict[str, dict[str, str]]) -> dict[str, str]:
    """node → the section it is part of. A node may be part of one section only; nesting is allowed."""
    parent: dict[str, str] = {}
    for source, target, relation in edges:
        if relation != "part_of":
            continue
        if source == target:
            raise LessonInputError(f"{nodes[source]['label'][:40]!r} is part_of itself; remove that edge.")
        if parent.get(source, target) != target:
            raise LessonInputError(
                f"{source!r} is part_of both {parent[source]!r} and {target!r}; a scene belongs to one section."
            )
        parent[source] = target
    _refuse_cycle(list(nodes), list(parent.items()), "part_of ")
    return parent


def _refuse_cycle(nodes: list[str], edges: Iterable[tuple[str, str]], kind: str) -> None:
    """Raise LessonInputError naming one cycle ("a → b → a") if the edges have any."""
    following: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        following[a].append(b)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in nodes:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            if index < len(following[node]):
                stack.append((node, index + 1))
                nxt = following[node][index]
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt):] + [nxt]
                    rule = ("a section cannot be part of itself" if kind else
                            "scene order follows the 'then' and 'causes' edges, so they cannot loop")
                    raise LessonInputError(f"The graph has a {kind}cycle: {' → '.join(cycle)}. {rule[0].upper()}{rule[1:]}; "
                                           "remove one of these edges.")
                if not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()


def _expand(edges: list[tuple[str, str]], scenes: list[str], parent: dict[str, str]) -> list[tuple[str, str]]:
    """Edges between sections (or a section and a scene) → edges between the scenes they hold."""
    members: dict[str, list[str]] = {}
    for scene in scenes:
        node = scene
        while node in parent:
            node = parent[node]
            members.setdefault(node, []).append(scene)
    expanded = []
    for a, b in edges:
        for x in members.get(a, [a]) if a not in scenes else [a]:
            for y in members.get(b, [b]) if b not in scenes else [b]:
                if x in scenes and y in scenes:
                    if x == y:
                        raise LessonInputError(f"The graph orders {x!r} before itself ({a} → {b}, and {x!r} is part of "
                                               "that section); remove that edge.")
                    expanded.append((x, y))
    return expanded


def _topological(scenes: list[str], edges: list[tuple[str, str]], parent: dict[str, str]) -> list[str]:
    """Kahn's algorithm; among scenes that may come next, one of the current section first, then file order."""
    rank = {scene: i for i, scene in enumerate(scenes)}
    following: dict[str, set[str]] = {s: set() for s in scenes}
    waiting = {s: 0 for s in scenes}
    for a, b in set(edges):
        following[a].add(b)
        waiting[b] += 1
    ready = [(rank[s], s) for s in scenes if waiting[s] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        section = parent.get(order[-1]) if order else None
        same = [item for item in ready if parent.get(item[1]) == section and section is not None]
        pick = min(same) if same else ready[0]
        ready.remove(pick)
        heapq.heapify(ready)
        order.append(pick[1])
        for nxt in sorted(following[pick[1]], key=rank.get):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, (rank[nxt], nxt))
    if len(order) != len(scenes):  # only through section expansion; plain cycles were refused earlier
        left = [s for s in scenes if s not in order]
        _refuse_cycle(left, [(a, b) for a, b in edges if a in left and b in left], "")
    return order


def _picture(reference: str, pictures: InputFiles | None, node_id: str) -> Picture:
    name = normalise_name(reference)
    if pictures is None or not pictures.has(name):
        raise LessonInputError(
            f"Node {node_id[:40]!r} names the picture {reference[:80]!r}, which was not uploaded with the graph. "
            "Upload a zip holding the graph and its pictures."
        )
    return Picture(name, pictures.loader(name))  # read once the graph has passed its checks
