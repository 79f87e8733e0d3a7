"""Charts drawn on the server as SVG: no script, nothing from a CDN, light on a slow link."""

from __future__ import annotations

from xml.sax.saxutils import escape

from sqlalchemy import func, select

from caseflow.cases.models import Case
from caseflow.cases.scope import visible_to
from caseflow.handover.models import Handover

ROW_H, LABEL_W, BAR_W = 24, 190, 260


def bar_chart(title: str, items: list[tuple[str, int]], *, marker: tuple[str, int] | None = None,
              highlight_after: int | None = None, links: list[str] | None = None) -> str:
    """Horizontal bars with their values; bars after ``highlight_after`` are drawn as over the limit;
    with ``links``, each bar (its label and value) opens the list it counts."""
    biggest = max([v for _l, v in items] + [1])
    height = ROW_H * len(items) + 10
    role = "group" if links else "img"  # links inside an image would be hidden from assistive technology
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {LABEL_W + BAR_W + 60} {height}" '
             f'role="{role}" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = 5 + i * ROW_H
        width = int(BAR_W * value / biggest)
        cls = "bar over" if highlight_after is not None and i > highlight_after else "bar"
        row = (f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
               f'<rect class="{cls}" x="{LABEL_W}" y="{y + 3}" width="{max(width, 1)}" height="{ROW_H - 8}"/>'
               f'<text x="{LABEL_W + max(width, 1) + 6}" y="{y + 15}">{value}</text>')
        if links and links[i]:
            href = escape(links[i], {'"': "&quot;"})
            row = f'<a href="{href}"><title>{escape(f"{label}: {value}")}</title>{row}</a>'
        parts.append(row)
    parts.append("</svg>")
    return "".join(parts)


def cases_by_state_chart(wf, counts: dict[str, int], lang: str, title: str, link=None) -> str:
    """``link(state)``: the address of the list of the cases a bar counts."""
    return bar_chart(title, [(wf.state_label(s, lang), counts.get(s, 0)) for s in wf.states],
                     links=[link(s) for s in wf.states] if link else None)


def handover_hours(session, user, limit_hours: int) -> list[tuple[str, int]]:
    """Handovers in the user's remit, counted by hours from encounter, in bands around the limit."""
    edges = sorted({limit_hours // 2, limit_hours, limit_hours * 2, limit_hours * 4})
    rows = session.execute(
        select(Handover.hours_since_encounter, func.count())
        .join(Case, Case.id == Handover.case_id)
        .where(visible_to(user), Handover.hours_since_encounter.is_not(None))
        .group_by(Handover.hours_since_encounter)
    ).all()
    bands = [0] * (len(edges) + 1)
    for hours, n in rows:
        i = next((k for k, edge in enumerate(edges) if hours <= edge), len(edges))
        bands[i] += n
    labels, low = [], 0
    for edge in edges:
        labels.append(f"{low}–{edge} h")
        low = edge
    labels.append(f"> {edges[-1]} h")
    return list(zip(labels, bands, strict=True))


def handover_chart(session, user, limit_hours: int, title: str) -> str:
    items = handover_hours(session, user, limit_hours)
    limit_index = next(i for i, (label, _n) in enumerate(items) if label.endswith(f"–{limit_hours} h"))
    return bar_chart(title, items, highlight_after=limit_index)


def _number(value) -> int:
    return value if isinstance(value, int) else 0


def column_chart(title: str, categories: list[str], series: list[tuple[str, list]]) -> str:
    """Vertical bars by category (months), one colour per series; a withheld count draws no bar and
    is written as shown ("<5")."""
    top = max([_number(v) for _n, values in series for v in values] + [1])
    group_w, bar_w, height, base = 12 + 10 * len(series), 10, 180, 200
    width = 50 + group_w * len(categories) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {max(width, 320)} {base + 40 + 18 * len(series)}" '
             f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>']
    for i, cat in enumerate(categories):
        x0 = 50 + i * group_w
        for s, (_name, values) in enumerate(series):
            v = values[i]
            h = int(height * _number(v) / top)
            parts.append(f'<rect class="bar s{s}" x="{x0 + s * bar_w}" y="{base - h}" width="{bar_w - 1}" '
                         f'height="{max(h, 0)}"><title>{escape(cat)}: {escape(str(v))}</title></rect>')
        parts.append(f'<text x="{x0 + group_w / 2 - 6}" y="{base + 14}" text-anchor="middle" '
                     f'class="tick">{escape(cat[2:])}</text>')
    parts.append(f'<text x="44" y="{base - height + 4}" text-anchor="end" class="tick">{top}</text>'
                 f'<text x="44" y="{base}" text-anchor="end" class="tick">0</text>')
    for s, (name, _values) in enumerate(series):
        y = base + 30 + 18 * s
        parts.append(f'<rect class="bar s{s}" x="50" y="{y - 10}" width="12" height="12"/>'
                     f'<text x="68" y="{y}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_chart(title: str, rows: list[tuple[str, list, object]], series: list[str]) -> str:
    """Horizontal bars (one per row: boys, girls, ...) stacked by series (age bands), with a legend;
    each bar ends with its row's total as the table shows it."""
    top = max([sum(_number(v) for v in values) for _l, values, _t in rows] + [1])
    height = ROW_H * len(rows) + 24 + 18 * len(series)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {LABEL_W + BAR_W + 60} {height}" '
             f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>']
    for i, (label, values, total) in enumerate(rows):
        y, x = 5 + i * ROW_H, LABEL_W
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        for s, v in enumerate(values):
            w = int(BAR_W * _number(v) / top)
            if w:
                parts.append(f'<rect class="bar s{s}" x="{x}" y="{y + 3}" width="{w}" height="{ROW_H - 8}">'
                             f'<title>{escape(series[s])}: {escape(str(v))}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6}" y="{y + 15}">{escape(str(total))}</text>')
    for s, name in enumerate(series):
        y = ROW_H * len(rows) + 24 + 18 * s
        parts.append(f'<rect class="bar s{s}" x="{LABEL_W}" y="{y - 10}" width="12" height="12"/>'
                     f'<text x="{LABEL_W + 18}" y="{y}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
