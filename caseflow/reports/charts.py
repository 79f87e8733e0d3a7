"""Charts drawn on the server as SVG: no script, nothing from a CDN, light on a slow link."""

from __future__ import annotations

from xml.sax.saxutils import escape

from sqlalchemy import func, select

from caseflow.cases.models import Case
from caseflow.cases.scope import visible_to
from caseflow.handover.models import Handover

ROW_H, LABEL_W, BAR_W = 24, 190, 260


def bar_chart(title: str, items: list[tuple[str, int]], *, marker: tuple[str, int] | None = None,
              highlight_after: int | None = None) -> str:
    """Horizontal bars with their values; bars after ``highlight_after`` are drawn as over the limit."""
    biggest = max([v for _l, v in items] + [1])
    height = ROW_H * len(items) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {LABEL_W + BAR_W + 60} {height}" '
             f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = 5 + i * ROW_H
        width = int(BAR_W * value / biggest)
        cls = "bar over" if highlight_after is not None and i > highlight_after else "bar"
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
                     f'<rect class="{cls}" x="{LABEL_W}" y="{y + 3}" width="{max(width, 1)}" height="{ROW_H - 8}"/>'
                     f'<text x="{LABEL_W + max(width, 1) + 6}" y="{y + 15}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def cases_by_state_chart(wf, counts: dict[str, int], lang: str, title: str) -> str:
    return bar_chart(title, [(wf.state_label(s, lang), counts.get(s, 0)) for s in wf.states])


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
