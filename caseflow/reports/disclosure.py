"""Statistical disclosure control by the cell-key method (the Australian Bureau of Statistics'
perturbation of TableBuilder outputs; Thompson, Broadfoot and Elazar, "Methodology for the automatic
confidentialisation of statistical outputs from remote servers at the Australian Bureau of
Statistics", UNECE work session on statistical data confidentiality, 2013).

The rule (the README's "Statistics" section and every report's About sheet say it too):

1. **A record key per child**: a number from 0 to 255 drawn once from a keyed hash of the case (the
   server's secret): the same in every report, unknowable to a reader.
2. **A cell key per count**: the sum of the record keys of the children it counts, modulo 256. The
   same set of children gives the same cell key in every table, every period and every report.
3. **The count shown** is the true count plus a perturbation from -2 to +2, looked up by (count,
   cell key) in a fixed table (about half the counts are unchanged). A count under ``k``
   (``REPORT_MIN_CELL``, 5 by default) — **zero included** — is shown ``<5``, and so is any count the
   perturbation takes under ``k``: an empty cell and a cell of one child look alike.

So the same children always give the same figure (a report cannot be averaged against itself), and
two reports that differ by one child differ by an unrelated perturbation: subtracting one from the
other does not give that child's sex, age or region. Totals are perturbed as counts of their own, so
a table's cells do not add up exactly to its total (by a few children); no count is ever withheld
to protect another (no secondary suppression is needed). ``k`` = 0 or 1 turns the control off (for
an internal, non-shared use): every count is then exact.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

#: record keys and cell keys run from 0 to KEYS - 1
KEYS = 256


@dataclass(frozen=True)
class Protected:
    """A withheld count, as shown: ``<5`` (fewer than the threshold, zero included)."""

    text: str
    kind: str = "primary"

    @classmethod
    def primary(cls, k: int) -> Protected:
        return cls(f"<{k}", "primary")

    def __str__(self) -> str:
        return self.text


def record_key(secret: bytes, case_id: int) -> int:
    """A child's record key: stable, uniform on 0..255, and not to be guessed without the secret
    (HMAC-SHA-256; the keyed state is made once per secret and copied per child)."""
    mac = _keyed(secret).copy()
    mac.update(f"caseflow-record-key-v1:{case_id}".encode())
    return mac.digest()[0]


@lru_cache(maxsize=8)
def _keyed(secret: bytes):
    return hmac.new(secret, digestmod=hashlib.sha256)


def perturbation(count: int, cell_key: int) -> int:
    """The perturbation table, as a function of (count, cell key): 0 for about half the cells, ±1 for
    four in ten, ±2 for one in ten, the same for the same (count, key) every time. The count enters
    the lookup so that a child whose record key is 0 still moves the cell to another perturbation."""
    spot = (cell_key * 131 + count * 193 + 71) % KEYS
    if spot < 13:
        return -2
    if spot < 64:
        return -1
    if spot < 192:
        return 0
    if spot < 243:
        return 1
    return 2


def perturb(count: int, cell_key: int, k: int):
    """The count as shown: exact when the control is off (k ≤ 1); else perturbed, and ``<k`` under k."""
    if k <= 1:
        return count
    if count < k:
        return Protected.primary(k)
    shown = count + perturbation(count, cell_key % KEYS)
    return Protected.primary(k) if shown < k else shown


def protected_count(count: int, cell_key: int, k: int):
    """One count on its own (the children counted): the same rule."""
    return perturb(count, cell_key, k)
