"""Statistical disclosure control: small counts are withheld, and so is whatever would give them away.

The rule (the README's "Statistics" section and every report's About sheet say it too):

1. **Primary suppression.** A count from 1 to ``k − 1`` (``k`` = ``REPORT_MIN_CELL``, 5 by default)
   is shown as ``<5``. Zeros are shown: an empty cell describes nobody.
2. **Secondary suppression.** In every line that adds up to a shown total (a row with its total;
   in a two-way table each column too, and the totals row), one withheld cell could be worked out by
   subtraction. So while a line has exactly one withheld entry, the smallest other non-zero count
   of that line is withheld too (shown ``x``), or the line's total when no other cell is left.
   This runs until no line has a single withheld entry.

Secondary suppression was chosen over rounding to base 5: the figures stay exact where they are
shown (a task force reconciles them with its own lists), and a reader is told which cells are
withheld and why. ``k`` = 0 or 1 turns the control off (for an internal, non-shared use).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Protected:
    """A withheld count, as shown: ``<5`` (under the threshold) or ``x`` (withheld to protect one)."""

    text: str
    kind: str  # primary | secondary

    @classmethod
    def primary(cls, k: int) -> Protected:
        return cls(f"<{k}", "primary")

    def __str__(self) -> str:
        return self.text


SECONDARY = Protected("x", "secondary")


def _lines(rows: int, cols: int, total_row: bool) -> list[list[tuple[int, int]]]:
    """Each line lists its cells, its total last. Totals column: the last column; totals row: the
    last row (when the rows add up)."""
    lines = [[(r, c) for c in range(cols)] for r in range(rows)]
    if total_row:
        lines += [[(r, c) for r in range(rows)] for c in range(cols)]
    return lines


def protect(grid: list[list[int]], k: int, *, total_row: bool) -> list[list]:
    """The grid as shown: ints where safe, ``Protected`` where withheld."""
    if not grid:
        return []
    rows, cols = len(grid), len(grid[0])
    hidden: dict[tuple[int, int], Protected] = {}
    if k > 1:
        for r in range(rows):
            for c in range(cols):
                if 0 < grid[r][c] < k:
                    hidden[(r, c)] = Protected.primary(k)
        lines = _lines(rows, cols, total_row)
        changed = True
        while changed:
            changed = False
            for line in lines:
                withheld = [pos for pos in line if pos in hidden]
                if len(withheld) != 1:
                    continue
                candidates = [pos for pos in line[:-1] if pos not in hidden and grid[pos[0]][pos[1]] > 0]
                if candidates:
                    pick = min(candidates, key=lambda pos: (grid[pos[0]][pos[1]], pos))
                elif line[-1] not in hidden and grid[line[-1][0]][line[-1][1]] > 0:
                    pick = line[-1]
                else:
                    continue
                hidden[pick] = SECONDARY
                changed = True
    return [[hidden.get((r, c), grid[r][c]) for c in range(cols)] for r in range(rows)]


def protected_count(n: int, k: int):
    """One count on its own (no total beside it): shown, or ``<k`` when from 1 to k − 1."""
    return Protected.primary(k) if k > 1 and 0 < n < k else n
