"""Compiled loops that verify text reuse's candidate pairs and extend its boilerplate groups' stretches (numba).
Only the indexer's reuse step imports this module, inside its functions; the search and the web workers never
load numba.

Each function is the compiled twin of a Python function of :mod:`search.reuse_build`, named in its docstring,
and gives the same result (the tests compare them on random texts): the Python ones stay the readable
definition and serve single comparisons (``scripts/reuse_samples.py``, a pair too long for the loops). Texts
here are code point arrays: every comparison form in one array ``codes``, a row's form being
``codes[start[row]:start[row + 1]]``; blocks are (start in a, start in b, length) as there.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SIDE = 1 << 21
"""Offsets and lengths below this pack into one sort key (three to an int64); a pair with a longer form is
left to the Python twins."""

_HELD_BITS = 1 << 12  # a row's fingerprints marked by their hashes' low bits (see verify_runs)
_HELD_MASK = np.uint64(_HELD_BITS - 1)

# What verify_runs says of a pair.
NOTHING, BLOCKS, WHOLE, TOO_LONG = 0, 1, 2, 3


@njit(cache=True)
def _grow(x: np.ndarray, need: int) -> np.ndarray:
    if need <= len(x):
        return x
    y = np.empty(max(need, 2 * len(x)), x.dtype)
    y[: len(x)] = x
    return y


@njit(cache=True)
def _extend(c, a0, la, b0, lb, i, j, k):
    """Twin of ``reuse_build._extend`` (a's form is ``c[a0:a0 + la]``, b's ``c[b0:b0 + lb]``)."""
    end = k
    limit = min(la - i, lb - j)
    while end < limit and c[a0 + i + end] == c[b0 + j + end]:
        end += 1
    back = 0
    limit = min(i, j)
    while back < limit and c[a0 + i - back - 1] == c[b0 + j - back - 1]:
        back += 1
    return i - back, j - back, end + back


@njit(cache=True)
def _same_gram(c, a0, la, b0, lb, i, j, k):
    """Whether a's K-gram at ``i`` is b's at ``j`` (as Python compares ``a[i:i + k] == b[j:j + k]``)."""
    if min(k, la - i) != min(k, lb - j):
        return False
    for u in range(min(k, la - i)):
        if c[a0 + i + u] != c[b0 + j + u]:
            return False
    return True


@njit(cache=True)
def _gram_hash(c, at, k):
    h = np.uint64(0)
    for u in range(k):
        h = h * np.uint64(1000003) + np.uint64(c[at + u])
    return h


@njit(cache=True)
def _order(keys, n, idx):
    """``idx[:n]`` = the order of ``keys[:n]`` (by insertion when few, as they nearly always are)."""
    if n > 32:
        idx[:n] = np.argsort(keys[:n])
        return
    for t in range(n):
        x, u = t, t - 1
        while u >= 0 and keys[idx[u]] > keys[x]:
            idx[u + 1] = idx[u]
            u -= 1
        idx[u + 1] = x


@njit(cache=True)
def extend_at(codes, start, a_row, b_row, a_at, b_at, k):
    """For each t, whether the K-grams at ``a_at[t]`` of form ``a_row[t]`` and at ``b_at[t]`` of form
    ``b_row[t]`` are the same (a fingerprint's hash can collide), and if so their maximal common stretch
    (``reuse_build._extend``): start in a, start in b, length."""
    n = len(a_row)
    same = np.zeros(n, np.bool_)
    found = np.zeros((3, n), np.int64)
    for t in range(n):
        a0, b0 = start[a_row[t]], start[b_row[t]]
        la, lb = start[a_row[t] + 1] - a0, start[b_row[t] + 1] - b0
        i, j = a_at[t], b_at[t]
        same[t] = _same_gram(codes, a0, la, b0, lb, i, j, k)
        if same[t]:
            found[0, t], found[1, t], found[2, t] = _extend(codes, a0, la, b0, lb, i, j, k)
    return same, found


@njit(cache=True)
def _choose_into(fi, fj, fs, n, min_len, used_a, used_b, oi, oj, os_, keys, idx):
    """Twin of ``reuse_build._choose`` over the first ``n`` found stretches of ``fi``/``fj``/``fs``: the chosen
    blocks are left in their first places, in a's order, and their count returned. ``used_a``/``used_b`` (as
    long as the texts, at least) are all False on entry and on return; the other arrays are scratch."""
    for t in range(n):
        keys[t] = (SIDE - fs[t]) * SIDE * SIDE + fi[t] * SIDE + fj[t]  # longest first, then by a, then by b
    _order(keys, n, idx)
    m = 0
    for x in range(n):
        t = idx[x]
        i, j, size = fi[t], fj[t], fs[t]
        if size < min_len:
            continue
        clear = True
        for u in range(size):
            if used_a[i + u] or used_b[j + u]:
                clear = False
                break
        if not clear:  # trimmed of what earlier blocks claimed: the longest rest
            best, bi, bj, run = 0, 0, 0, 0
            for u in range(size):
                if used_a[i + u] or used_b[j + u]:
                    run = 0
                    continue
                run += 1
                if run >= min_len and run > best:
                    best, bi, bj = run, i + u - run + 1, j + u - run + 1
            if best == 0:
                continue
            i, j, size = bi, bj, best
        used_a[i : i + size] = True
        used_b[j : j + size] = True
        oi[m], oj[m], os_[m] = i, j, size
        m += 1
    for t in range(m):
        used_a[oi[t] : oi[t] + os_[t]] = False
        used_b[oj[t] : oj[t] + os_[t]] = False
        keys[t] = oi[t]  # (chosen blocks never share a start in a)
    _order(keys, m, idx)
    for x in range(m):
        t = idx[x]
        fi[x], fj[x], fs[x] = oi[t], oj[t], os_[t]
    return m


@njit(cache=True)
def _buffers(n):
    """Scratch for :func:`_choose_into` and :func:`_seeded_into` over ``n`` seeds or stretches."""
    return (
        np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64),
        np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64),
    )  # fmt: skip


@njit(cache=True)
def _choose(fi, fj, fs, n, min_len, used_a, used_b):
    """:func:`_choose_into` on copies: the chosen blocks' starts in a, starts in b and lengths."""
    ci, cj, cs, oi, oj, os_, keys, idx = _buffers(n)
    ci[:n], cj[:n], cs[:n] = fi[:n], fj[:n], fs[:n]
    m = _choose_into(ci, cj, cs, n, min_len, used_a, used_b, oi, oj, os_, keys, idx)
    return ci[:m], cj[:m], cs[:m]


@njit(cache=True)
def _seeded_into(c, a0, la, b0, lb, si, sj, ns, k, fi, fj, fs, keys, idx):
    """The maximal stretches through the first ``ns`` seeds, as ``reuse_build.seeded_blocks`` finds them before
    choosing, into ``fi``/``fj``/``fs``; returns their count."""
    for t in range(ns):
        keys[t] = (si[t] - sj[t] + SIDE) * SIDE + si[t]  # by diagonal, then by a
    _order(keys, ns, idx)
    n = 0
    diagonal, reach = SIDE * 4, -1  # the last stretch found on the diagonal ends before reach + K - 1
    for x in range(ns):
        t = idx[x]
        i, j = si[t], sj[t]
        if i - j != diagonal:
            diagonal, reach = i - j, -1
        elif i < reach:
            continue  # inside a stretch already found
        if not _same_gram(c, a0, la, b0, lb, i, j, k):
            continue
        fi[n], fj[n], fs[n] = _extend(c, a0, la, b0, lb, i, j, k)
        reach = fi[n] + fs[n] - k + 1
        n += 1
    return n


@njit(cache=True)
def seeded_blocks(c, a0, la, b0, lb, si, sj, ns, k, used_a, used_b):
    """Twin of ``reuse_build.seeded_blocks`` with the first ``ns`` seeds of ``si``/``sj``."""
    fi, fj, fs, oi, oj, os_, keys, idx = _buffers(ns)
    n = _seeded_into(c, a0, la, b0, lb, si, sj, ns, k, fi, fj, fs, keys, idx)
    m = _choose_into(fi, fj, fs, n, k, used_a, used_b, oi, oj, os_, keys, idx)
    return fi[:m], fj[:m], fs[:m]


@njit(cache=True)
def shared_blocks(c, a0, la, b0, lb, k, used_a, used_b):
    """Twin of ``reuse_build.shared_blocks``: grams of b found by a hash of their code points, then compared."""
    if la < k or lb < k:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    nb = lb - k + 1
    hb = np.empty(nb, np.uint64)
    for j in range(nb):
        hb[j] = _gram_hash(c, b0 + j, k)
    order = np.argsort(hb)
    sorted_h = hb[order]
    fi = np.empty(16, np.int64)
    fj = np.empty(16, np.int64)
    fs = np.empty(16, np.int64)
    n = 0
    for i in range(la - k + 1):
        h = _gram_hash(c, a0 + i, k)
        t = np.searchsorted(sorted_h, h)
        while t < nb and sorted_h[t] == h:
            j = order[t]
            t += 1
            if not _same_gram(c, a0, la, b0, lb, i, j, k) or (i > 0 and j > 0 and c[a0 + i - 1] == c[b0 + j - 1]):
                continue  # another gram, or inside a stretch found from its start
            if n == len(fi):
                fi, fj, fs = _grow(fi, n + 1), _grow(fj, n + 1), _grow(fs, n + 1)
            fi[n], fj[n], fs[n] = _extend(c, a0, la, b0, lb, i, j, k)
            n += 1
    return _choose(fi, fj, fs, n, k, used_a, used_b)


@njit(cache=True)
def compare(c, a0, la, b0, lb, min_span, min_block, min_whole, whole_share, used_a, used_b):
    """Twin of ``reuse_build.compare``: whether near-duplicates as wholes, and the blocks that count."""
    bi, bj, bs = shared_blocks(c, a0, la, b0, lb, min_block, used_a, used_b)
    if min(la, lb) >= min_whole and bs.sum() >= whole_share * max(la, lb):
        return True, bi, bj, bs
    keep = bs >= min_span
    return False, bi[keep], bj[keep], bs[keep]


@njit(cache=True)
def explained_by_groups(a, b, bi, bj, bs, groups, min_span):
    """Twin of ``reuse_build._explained_by_groups`` (for a pair not near-duplicates as wholes), with each row's
    group memberships as arrays: ``groups`` = (start by row, representatives, r0, r1, m0)."""
    g_start, g_rep, g_r0, g_r1, g_m0 = groups
    if g_start[a] == g_start[a + 1] or g_start[b] == g_start[b + 1]:
        return False
    ti = np.empty(0, np.int64)
    tj = np.empty(0, np.int64)
    ts = np.empty(0, np.int64)
    nt = 0
    for x in range(g_start[a], g_start[a + 1]):
        for y in range(g_start[b], g_start[b + 1]):
            if g_rep[y] != g_rep[x]:
                continue
            lo, hi = max(g_r0[x], g_r0[y]), min(g_r1[x], g_r1[y])
            if hi > lo:
                ti, tj, ts = _grow(ti, nt + 1), _grow(tj, nt + 1), _grow(ts, nt + 1)
                ti[nt], tj[nt], ts[nt] = g_m0[x] + lo - g_r0[x], g_m0[y] + lo - g_r0[y], hi - lo
                nt += 1
    for q in range(len(bs)):
        i, j, size = bi[q], bj[q], bs[q]
        covered = np.zeros(size, np.bool_)
        for t in range(nt):
            lo, hi = max(i, ti[t]), min(i + size, ti[t] + ts[t])
            if ti[t] - tj[t] == i - j and hi > lo:
                covered[lo - i : hi - i] = True
        run = 0
        for u in range(size):
            run = 0 if covered[u] else run + 1
            if run >= min_span:
                return False  # a stretch of its own
    return True


@njit(cache=True, nogil=True)
def verify_runs(codes, start, fp_start, fp_hash, fp_pos, left, right, runs, groups, params):
    """What ``verify`` in ``reuse_build.reuse_arrays`` gives each pair of the runs (pairs of one first row)
    bounded by ``runs``, unless the groups explain it: the pair's state (NOTHING, BLOCKS, WHOLE, or TOO_LONG for
    the Python twins) and its blocks, ``block_start`` per pair into (starts in a, starts in b, lengths). Seeds
    are the fingerprints both passages hold (every position of each), unless ``min_span`` < K + W - 1, when
    every pair is compared whole. ``params``: min_span, K, W, MIN_BLOCK, MIN_WHOLE, WHOLE_SHARE, NEAR_SHARE."""
    min_span, k, w, min_block, min_whole, whole_share, near_share = params
    p0, p1 = runs[0], runs[-1]
    state = np.zeros(p1 - p0, np.int8)
    block_start = np.zeros(p1 - p0 + 1, np.int64)
    out_i = np.empty(1024, np.int64)
    out_j = np.empty(1024, np.int64)
    out_s = np.empty(1024, np.int64)
    nb = 0
    si = np.empty(64, np.int64)
    sj = np.empty(64, np.int64)
    fi, fj, fs, oi, oj, os_, keys, idx = _buffers(64)
    used_a = np.zeros(SIDE, np.bool_)
    used_b = np.zeros(SIDE, np.bool_)
    seeded = min_span >= k + w - 1
    held = np.zeros(_HELD_BITS, np.bool_)  # by a hash's low bits: whether row a may hold it (most of b's it does not)
    for r in range(len(runs) - 1):
        a = left[runs[r]]
        lo, hi = fp_start[a], fp_start[a + 1]
        by_hash = np.argsort(fp_hash[lo:hi], kind="mergesort")
        own_h = fp_hash[lo:hi][by_hash]
        own_p = fp_pos[lo:hi][by_hash]
        for h in own_h:
            held[h & _HELD_MASK] = True
        a0, la = start[a], start[a + 1] - start[a]
        for p in range(runs[r], runs[r + 1]):
            b = right[p]
            b0, lb = start[b], start[b + 1] - start[b]
            q = p - p0
            block_start[q + 1] = nb
            if la >= SIDE or lb >= SIDE:
                state[q] = TOO_LONG
                continue
            whole = False
            if seeded:
                ns = 0
                for e in range(fp_start[b], fp_start[b + 1]):
                    h = fp_hash[e]
                    if not held[h & _HELD_MASK]:
                        continue
                    t = np.searchsorted(own_h, h)
                    while t < len(own_h) and own_h[t] == h:
                        if ns == len(si):
                            si, sj = _grow(si, ns + 1), _grow(sj, ns + 1)
                        si[ns], sj[ns] = own_p[t], fp_pos[e]
                        ns += 1
                        t += 1
                if ns > len(fi):
                    fi, fj, fs, oi, oj, os_, keys, idx = _buffers(2 * ns)
                n = _seeded_into(codes, a0, la, b0, lb, si, sj, ns, k, fi, fj, fs, keys, idx)
                m = _choose_into(fi, fj, fs, n, k, used_a, used_b, oi, oj, os_, keys, idx)
                if min(la, lb) >= min_whole and fs[:m].sum() >= near_share * max(la, lb):  # perhaps a near-duplicate
                    whole, bi, bj, bs = compare(
                        codes, a0, la, b0, lb, min_span, min_block, min_whole, whole_share, used_a, used_b
                    )
                else:
                    kept = 0
                    for t in range(m):
                        if fs[t] >= min_span:
                            fi[kept], fj[kept], fs[kept] = fi[t], fj[t], fs[t]
                            kept += 1
                    bi, bj, bs = fi[:kept], fj[:kept], fs[:kept]
            else:
                whole, bi, bj, bs = compare(
                    codes, a0, la, b0, lb, min_span, min_block, min_whole, whole_share, used_a, used_b
                )
            m = len(bs)
            if m == 0 or (not whole and explained_by_groups(a, b, bi, bj, bs, groups, min_span)):
                continue
            state[q] = WHOLE if whole else BLOCKS
            out_i, out_j, out_s = _grow(out_i, nb + m), _grow(out_j, nb + m), _grow(out_s, nb + m)
            out_i[nb : nb + m] = bi
            out_j[nb : nb + m] = bj
            out_s[nb : nb + m] = bs
            nb += m
            block_start[q + 1] = nb
        for h in own_h:
            held[h & _HELD_MASK] = False
    return state, block_start, out_i[:nb], out_j[:nb], out_s[:nb]
