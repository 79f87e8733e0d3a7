"""Draw a workflow as SVG on the server: states in layers by distance from the initial state,
state-changing transitions as arrows, actions inside a state listed under it. No script, no CDN."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from xml.sax.saxutils import escape

from caseflow.workflow.definition import Workflow

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 190, 46, 70, 60, 20


@dataclass
class Box:
    state: str
    x: int
    y: int


def layers(wf: Workflow) -> list[list[str]]:
    depth = {wf.initial: 0}
    queue = deque([wf.initial])
    while queue:
        s = queue.popleft()
        for t in wf.from_state(s):
            if t.dest and t.dest not in depth:
                depth[t.dest] = depth[s] + 1
                queue.append(t.dest)
    for s in wf.states:
        depth.setdefault(s, max(depth.values()) + 1)
    out: dict[int, list[str]] = {}
    for s in wf.states:
        out.setdefault(depth[s], []).append(s)
    return [out[k] for k in sorted(out)]


def render_svg(wf: Workflow, lang: str) -> str:
    rows = layers(wf)
    width = MARGIN * 2 + max(len(r) for r in rows) * (BOX_W + GAP_X) - GAP_X
    height = MARGIN * 2 + len(rows) * (BOX_H + GAP_Y) - GAP_Y
    boxes = {}
    for i, row in enumerate(rows):
        row_w = len(row) * (BOX_W + GAP_X) - GAP_X
        x0 = (width - row_w) // 2
        for j, s in enumerate(row):
            boxes[s] = Box(s, x0 + j * (BOX_W + GAP_X), MARGIN + i * (BOX_H + GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="wf-title-{wf.name}" class="diagram">'
        f'<title id="wf-title-{wf.name}">{escape(wf.label.get(lang, wf.name))}</title>',
        f'<defs><marker id="arrow-{wf.name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>',
    ]
    seen = set()
    for t in wf.transitions:
        if not t.dest:
            continue
        for s in t.sources:
            if (s, t.dest) in seen:
                continue
            seen.add((s, t.dest))
            a, b = boxes[s], boxes[t.dest]
            x1, y1 = a.x + BOX_W // 2, a.y + BOX_H
            x2, y2 = b.x + BOX_W // 2, b.y
            if b.y <= a.y:  # backwards or sideways: curve round the side
                x1, y1, x2, y2 = a.x, a.y + BOX_H // 2, b.x, b.y + BOX_H // 2
                cx = min(x1, x2) - 40
                path = f"M {x1} {y1} C {cx} {y1}, {cx} {y2}, {x2} {y2}"
            else:
                path = f"M {x1} {y1} L {x2} {y2}"
            title = escape(t.label.get(lang, t.trigger))
            parts.append(f'<path d="{path}" fill="none" stroke="#444" stroke-width="1.4" '
                         f'marker-end="url(#arrow-{wf.name})"><title>{title}</title></path>')
    for s, box in boxes.items():
        cls = "initial" if s == wf.initial else ("final" if s in wf.final_states else "state")
        parts.append(f'<g class="{cls}"><rect x="{box.x}" y="{box.y}" width="{BOX_W}" height="{BOX_H}" rx="8"/>'
                     f'<text x="{box.x + BOX_W // 2}" y="{box.y + BOX_H // 2 + 5}" text-anchor="middle">'
                     f'{escape(wf.state_label(s, lang))}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
