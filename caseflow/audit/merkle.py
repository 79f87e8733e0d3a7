"""RFC 9162 (Certificate Transparency v2) Merkle tree arithmetic over leaf hashes, nothing else.

- a leaf's hash is SHA-256(0x00 || leaf), a node's SHA-256(0x01 || left || right): a leaf can never
  pass for a node;
- the tree over n leaves splits at the largest power of two below n (§2.1.1);
- an **inclusion proof** shows one leaf is in a tree (§2.1.3), a **consistency proof** that a tree
  of size m is a prefix of a tree of size n (§2.1.4): the log only grew.

A ``Frontier`` (Trillian's "compact range") holds the roots of the perfect subtrees that make up a
tree — one per set bit of its size — so a new root costs the new leaves, not the whole log.
Proofs are computed from the leaf hashes (``range_hash`` is linear in the range: a log of 10⁶
events answers a proof in about a second; Trillian's stored node tiles would be the next step).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(leaves: Sequence[bytes], start: int = 0, end: int | None = None) -> bytes:
    """MTH(D[start:end]) over leaf *hashes*: bottom-up, the odd node carried up, which is the same
    tree as the RFC's recursive split."""
    end = len(leaves) if end is None else end
    if end <= start:
        return EMPTY_ROOT
    level = list(leaves[start:end])
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def inclusion_proof(index: int, leaves: Sequence[bytes], start: int = 0, end: int | None = None) -> list[bytes]:
    """PATH(index, D[start:end]) (§2.1.3.1), ``index`` counted from ``start``."""
    end = len(leaves) if end is None else end
    n = end - start
    if not 0 <= index < n:
        raise ValueError("leaf index outside the tree")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, leaves, start, start + k), range_hash(leaves, start + k, end)]
    return [*inclusion_proof(index - k, leaves, start + k, end), range_hash(leaves, start, start + k)]


def consistency_proof(first: int, leaves: Sequence[bytes], second: int | None = None) -> list[bytes]:
    """PROOF(first, D[second]) (§2.1.4.1): the nodes that let a verifier holding the root of the
    first ``first`` leaves compute the root of the first ``second``."""
    second = len(leaves) if second is None else second
    if not 0 < first <= second <= len(leaves):
        raise ValueError("a consistency proof needs 0 < first ≤ second ≤ the log's size")

    def sub(m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [range_hash(leaves, start, end)]
        k = _split(n)
        if m <= k:
            return [*sub(m, start, start + k, whole), range_hash(leaves, start + k, end)]
        return [*sub(m - k, start + k, end, False), range_hash(leaves, start, start + k)]

    return sub(first, 0, second, True)


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """§2.1.3.2, ``leaf`` being the leaf's hash."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """§2.1.4.2: is the tree of size ``first`` with ``first_root`` a prefix of the tree of size
    ``second`` with ``second_root``? (An empty first tree is a prefix of anything.)"""
    if first == 0:
        return not proof
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is itself a node of the second
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


class Frontier:
    """The perfect subtrees of a tree, largest first: appending is O(log n), and so is the root."""

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()):
        if bin(size).count("1") != len(nodes):
            raise ValueError("a frontier holds one node per set bit of its size")
        self.size, self.nodes = size, list(nodes)

    def append(self, leaf: bytes) -> None:
        node, size = leaf, self.size
        while size & 1:  # merge with the equal-sized subtrees to the left
            node = node_hash(self.nodes.pop(), node)
            size >>= 1
        self.nodes.append(node)
        self.size += 1

    @property
    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        r = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            r = node_hash(left, r)
        return r

    def to_json(self) -> list[str]:
        return [n.hex() for n in self.nodes]

    @classmethod
    def from_json(cls, size: int, nodes: Sequence[str]) -> Frontier:
        return cls(size, [bytes.fromhex(n) for n in nodes])
