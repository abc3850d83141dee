/* The loops of counting that numpy does in many passes, compiled: a literal's rows (literal_runs, for
 * search.arrays.CorpusText.row_counts), an AND or an OR of terms merged as rows (and_rows, or_rows), a pass
 * over the matches for the facets' cells and the distinct reports (count_at, runs_at), the cells' sums by code
 * (sum_at), the facets' two sums over the matches in one pass (cell_sums), and for the indexer, fingerprints
 * sorted by hash (radix_order) and a kept generation's offsets moved into the next (moved), with others put in
 * among them (inserted). Each releases the interpreter's lock while it loops. Only the buffer protocol is used,
 * so the module builds with Python's headers alone.
 *
 * literal_runs(units, entries, rank, lit, anchor, rows_out, counts_out) -> int
 *
 * units: the corpus's UTF-16 code units (uint16); entries: offsets of the literal's anchor bigram (or of its one
 * unit), int32 or int64; rank: the row-rank table (uint64, search.arrays.row_rank); lit: the literal's units
 * (uint16); anchor: the anchor's offset within the literal. For each entry, in order, the literal's start is
 * the entry minus anchor; a start whose units all equal the literal's is turned into its row (read from rank
 * as search.arrays.rows_at does), and runs of equal rows are written to rows_out and counts_out (int64, at
 * least as long as entries: a row and its starts in the run). Returns the number of runs written. Two
 * halves of the entries run on two threads at once (search.arrays.SPLIT_FROM).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define WITH_POPCNT __attribute__((target_clones("popcnt", "default")))
#else
#define WITH_POPCNT
#endif

#define AHEAD 64 /* entries ahead whose memory is prefetched: each load is a likely miss, so keep many in flight */
#define CHUNK 4096 /* entries whose rows are worked out before their runs are written (32 KB on the stack) */

/* Item i of an array of int32 (wide = 0) or int64 (wide = 1) items. */
static inline int64_t item(const void *buf, int wide, Py_ssize_t i) {
    return wide ? ((const int64_t *)buf)[i] : (int64_t)((const int32_t *)buf)[i];
}

/* Three passes over each chunk of entries: the first checks each start against the text, the text and rank
 * of the entry AHEAD asked for in advance (the units and ranks of ascending but scattered offsets: each load
 * likely a cache miss), and stores the start, or -1, at the entry's own place (no load waits on where an
 * earlier store goes); the second reads the rows of the starts that hold from the rank table; the third
 * writes the runs of equal rows from that cached buffer. No pass branches on a value it has just loaded from
 * the text: a guessed-wrong branch waits for the whole miss (a loop branching on them took 60 ns an entry at
 * 100,000 reports, this one about 20). */
WITH_POPCNT
static Py_ssize_t runs_of(const uint16_t *units, Py_ssize_t n_units, const void *entries, int wide,
                          Py_ssize_t n_entries, const uint64_t *rank, const uint16_t *lit, Py_ssize_t n_lit,
                          Py_ssize_t anchor, int64_t *rows, int64_t *counts) {
    int64_t held[CHUNK];
    Py_ssize_t runs = 0;
    int64_t last = -1, count = 0;
    if (n_units < n_lit) return 0;
    Py_ssize_t after = anchor + (n_lit > 1 ? 2 : 1); /* the anchor (its bigram, or one unit) holds by construction */
    int checks = anchor > 0 || after < n_lit; /* any unit beyond the anchor to read (none for one or two units) */
    for (Py_ssize_t first = 0; first < n_entries; first += CHUNK) {
        Py_ssize_t end = first + CHUNK < n_entries ? first + CHUNK : n_entries, n_held = 0;
        for (Py_ssize_t i = first; i < end; i++) {
            if (i + AHEAD < n_entries) { /* the text and rank of a start a little ahead, asked for now */
                int64_t ahead = item(entries, wide, i + AHEAD) - anchor;
                ahead = ahead > 0 ? ahead : 0;
                if (checks) __builtin_prefetch(units + ahead);
                __builtin_prefetch(rank + (ahead >> 5));
            }
            int64_t pos = item(entries, wide, i) - anchor;
            int64_t inside = (pos >= 0) & (pos + n_lit <= n_units);
            pos = inside ? pos : 0; /* a start outside the text reads the first units, and is dropped */
            const uint16_t *at = units + pos;
            int64_t holds = inside;
            for (Py_ssize_t k = 0; k < anchor; k++) holds &= at[k] == lit[k];
            for (Py_ssize_t k = after; k < n_lit; k++) holds &= at[k] == lit[k];
            held[i - first] = holds ? pos : -1; /* stored where nothing loaded decides: no load waits on it */
        }
        for (Py_ssize_t i = 0; i < end - first; i++) {
            int64_t pos = held[i];
            if (pos < 0) continue;
            uint64_t packed = rank[pos >> 5];
            uint64_t low = packed << (63 - (pos & 31));
            held[n_held++] = (int64_t)(packed >> 32) + __builtin_popcountll(low) - 1;
        }
        for (Py_ssize_t j = 0; j < n_held; j++) {
            int64_t row = held[j], fresh = row != last;
            runs += fresh;
            count = (count & (fresh - 1)) + 1; /* 1 on a new run, else one more */
            rows[runs - 1] = row;
            counts[runs - 1] = count;
            last = row;
        }
    }
    return runs;
}

static int item_size_is(Py_buffer *view, Py_ssize_t size, const char *name) {
    if (view->itemsize != size) {
        PyErr_Format(PyExc_TypeError, "%s: items of %zd bytes expected, not %zd", name, size, view->itemsize);
        return 0;
    }
    return 1;
}

static PyObject *literal_runs(PyObject *self, PyObject *args) {
    PyObject *o_units, *o_entries, *o_rank, *o_lit, *o_rows, *o_counts;
    Py_ssize_t anchor;
    if (!PyArg_ParseTuple(args, "OOOOnOO", &o_units, &o_entries, &o_rank, &o_lit, &anchor, &o_rows, &o_counts)) {
        return NULL;
    }
    Py_buffer units, entries, rank, lit, rows, counts;
    Py_buffer *views[6] = {&units, &entries, &rank, &lit, &rows, &counts};
    PyObject *objs[6] = {o_units, o_entries, o_rank, o_lit, o_rows, o_counts};
    const char *names[6] = {"units", "entries", "rank", "lit", "rows_out", "counts_out"};
    int got = 0;
    PyObject *result = NULL;
    for (; got < 6; got++) {
        int flags = PyBUF_C_CONTIGUOUS | (got >= 4 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objs[got], views[got], flags) < 0) {
            PyErr_Format(PyExc_TypeError, "%s: a C-contiguous%s array expected", names[got],
                         got >= 4 ? ", writable" : "");
            goto done;
        }
    }
    if (!item_size_is(&units, 2, "units") || !item_size_is(&rank, 8, "rank") || !item_size_is(&lit, 2, "lit") ||
        !item_size_is(&rows, 8, "rows_out") || !item_size_is(&counts, 8, "counts_out")) {
        goto done;
    }
    if (entries.itemsize != 4 && entries.itemsize != 8) {
        PyErr_SetString(PyExc_TypeError, "entries: int32 or int64 expected");
        goto done;
    }
    Py_ssize_t n_entries = entries.len / entries.itemsize, n_lit = lit.len / 2;
    if (rows.len / 8 < n_entries || counts.len / 8 < n_entries) {
        PyErr_SetString(PyExc_ValueError, "rows_out and counts_out must be at least as long as entries");
        goto done;
    }
    if (n_lit < 1 || anchor < 0 || anchor >= n_lit || (n_lit > 1 && anchor + 1 >= n_lit)) {
        PyErr_SetString(PyExc_ValueError, "anchor must lie within the literal (its bigram too)");
        goto done;
    }
    Py_ssize_t n_units = units.len / 2, n_rank = rank.len / 8;
    if (n_units > 32 * n_rank) {
        PyErr_SetString(PyExc_ValueError, "rank is shorter than the units need");
        goto done;
    }
    Py_ssize_t runs;
    Py_BEGIN_ALLOW_THREADS
    runs = runs_of((const uint16_t *)units.buf, n_units, entries.buf, entries.itemsize == 8, n_entries,
                   (const uint64_t *)rank.buf, (const uint16_t *)lit.buf, n_lit, anchor,
                   (int64_t *)rows.buf, (int64_t *)counts.buf);
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(runs);
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(views[i]);
    return result;
}

/* The first index at or after `at` whose value is not less than `x` in ascending `values` of length n:
 * galloping from `at` (steps of 1, 2, 4 …), then a binary search within the last step. */
static Py_ssize_t gallop(const int64_t *values, Py_ssize_t n, Py_ssize_t at, int64_t x) {
    Py_ssize_t step = 1, lo = at, hi = at;
    while (hi < n && values[hi] < x) {
        lo = hi + 1;
        hi += step;
        step <<= 1;
    }
    if (hi > n) hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (values[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

#define MAX_LISTS 64

/* The buffers of a merge's int64 arrays (and_rows, or_rows): every array of each Python list of `lists`, one
 * list after another, then the two outputs, writable. 0 with *got views held; -1 with an error set when one is
 * not a C-contiguous int64 array (the *got views held so far are the caller's to release). */
static int merge_views(const char *fn, PyObject *const *lists, int n_lists, PyObject *o_out, PyObject *o_occ,
                       Py_buffer *views, int *got) {
    Py_ssize_t n_in = 0;
    for (int l = 0; l < n_lists; l++) n_in += PyList_GET_SIZE(lists[l]);
    for (Py_ssize_t i = 0, l = 0, in_list = 0; i < n_in + 2; i++) {
        PyObject *obj;
        if (i < n_in) {
            while (in_list == PyList_GET_SIZE(lists[l])) l++, in_list = 0;
            obj = PyList_GET_ITEM(lists[l], in_list++);
        } else {
            obj = i == n_in ? o_out : o_occ;
        }
        if (PyObject_GetBuffer(obj, &views[*got], PyBUF_C_CONTIGUOUS | (i >= n_in ? PyBUF_WRITABLE : 0)) < 0) {
            PyErr_Format(PyExc_TypeError, "%s: C-contiguous int64 arrays expected (outputs writable)", fn);
            return -1;
        }
        (*got)++;
        if (views[*got - 1].itemsize != 8) {
            PyErr_Format(PyExc_TypeError, "%s: int64 arrays expected", fn);
            return -1;
        }
    }
    return 0;
}

/* A merge's n arrays of rows (views[0..n)) and their counts (views[n..2n)), each walked from its start:
 * -1 with an error set when a counts array is not as long as its rows. */
static int rows_and_counts(const char *fn, const Py_buffer *views, Py_ssize_t n, const int64_t **rows,
                           const int64_t **counts, Py_ssize_t *n_rows, Py_ssize_t *at) {
    for (Py_ssize_t j = 0; j < n; j++) {
        rows[j] = views[j].buf;
        counts[j] = views[n + j].buf;
        n_rows[j] = views[j].len / 8;
        at[j] = 0;
        if (views[n + j].len / 8 != n_rows[j]) {
            PyErr_Format(PyExc_ValueError, "%s: each counts array as long as its rows", fn);
            return -1;
        }
    }
    return 0;
}

/* and_rows(rows, counts, without, rows_out, occ_out) -> int
 *
 * rows: a list of ascending int64 arrays of rows (each literal an AND requires), counts: the occurrences in
 * each of those rows (int64, as long as its rows), without: a list of ascending int64 arrays of rows that
 * must not match (the literals the AND excludes). Writes the rows in every array of `rows` and none of
 * `without`, ascending, to rows_out and the sum of their counts to occ_out (int64, at least as long as the
 * first array of rows: put the shortest first); returns how many. One merge of the arrays, each walked
 * forward by galloping from where the last row left it. */
static PyObject *and_rows(PyObject *self, PyObject *args) {
    PyObject *o_rows, *o_counts, *o_without, *o_out, *o_occ;
    if (!PyArg_ParseTuple(args, "O!O!O!OO", &PyList_Type, &o_rows, &PyList_Type, &o_counts, &PyList_Type, &o_without,
                          &o_out, &o_occ)) {
        return NULL;
    }
    Py_ssize_t n_pos = PyList_GET_SIZE(o_rows), n_neg = PyList_GET_SIZE(o_without);
    if (n_pos < 1 || n_pos > MAX_LISTS || n_neg > MAX_LISTS || PyList_GET_SIZE(o_counts) != n_pos) {
        PyErr_SetString(PyExc_ValueError, "rows and counts: as many arrays, 1 to 64; without: at most 64");
        return NULL;
    }
    Py_buffer views[3 * MAX_LISTS + 2];
    int got = 0;
    PyObject *result = NULL;
    const int64_t *rows[MAX_LISTS], *counts[MAX_LISTS], *without[MAX_LISTS];
    Py_ssize_t n_rows[MAX_LISTS], n_without[MAX_LISTS], at[MAX_LISTS], at_without[MAX_LISTS];
    PyObject *lists[] = {o_rows, o_counts, o_without};
    if (merge_views("and_rows", lists, 3, o_out, o_occ, views, &got) < 0 ||
        rows_and_counts("and_rows", views, n_pos, rows, counts, n_rows, at) < 0) {
        goto done;
    }
    for (Py_ssize_t j = 0; j < n_neg; j++) {
        without[j] = views[2 * n_pos + j].buf;
        n_without[j] = views[2 * n_pos + j].len / 8;
        at_without[j] = 0;
    }
    int64_t *out = views[got - 2].buf, *occ = views[got - 1].buf;
    if (views[got - 2].len / 8 < n_rows[0] || views[got - 1].len / 8 < n_rows[0]) {
        PyErr_SetString(PyExc_ValueError, "and_rows: rows_out and occ_out at least as long as the first rows");
        goto done;
    }
    Py_ssize_t n = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n_rows[0]; i++) {
        int64_t row = rows[0][i], total = counts[0][i];
        int keep = 1;
        for (Py_ssize_t j = 1; j < n_pos && keep; j++) {
            Py_ssize_t k = at[j] = gallop(rows[j], n_rows[j], at[j], row);
            keep = k < n_rows[j] && rows[j][k] == row;
            if (keep) total += counts[j][k];
        }
        for (Py_ssize_t j = 0; j < n_neg && keep; j++) {
            Py_ssize_t k = at_without[j] = gallop(without[j], n_without[j], at_without[j], row);
            keep = !(k < n_without[j] && without[j][k] == row);
        }
        if (keep) {
            out[n] = row;
            occ[n] = total;
            n++;
        }
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(n);
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    return result;
}

/* or_rows(rows, counts, rows_out, occ_out) -> int
 *
 * rows: a list of ascending int64 arrays of rows (each literal of an OR), counts: the occurrences in each of
 * those rows (int64, as long as its rows). Writes every row in any array, ascending and once, to rows_out and
 * the sum of its counts over the arrays holding it to occ_out (int64, at least as long as the arrays
 * together); returns how many. One merge: each step takes the least row among the arrays' next ones. */
static PyObject *or_rows(PyObject *self, PyObject *args) {
    PyObject *o_rows, *o_counts, *o_out, *o_occ;
    if (!PyArg_ParseTuple(args, "O!O!OO", &PyList_Type, &o_rows, &PyList_Type, &o_counts, &o_out, &o_occ)) {
        return NULL;
    }
    Py_ssize_t n_lists = PyList_GET_SIZE(o_rows);
    if (n_lists < 1 || n_lists > MAX_LISTS || PyList_GET_SIZE(o_counts) != n_lists) {
        PyErr_SetString(PyExc_ValueError, "or_rows: rows and counts: as many arrays, 1 to 64");
        return NULL;
    }
    Py_buffer views[2 * MAX_LISTS + 2];
    int got = 0;
    PyObject *result = NULL;
    const int64_t *rows[MAX_LISTS], *counts[MAX_LISTS];
    Py_ssize_t n_rows[MAX_LISTS], at[MAX_LISTS], total = 0;
    PyObject *lists[] = {o_rows, o_counts};
    if (merge_views("or_rows", lists, 2, o_out, o_occ, views, &got) < 0 ||
        rows_and_counts("or_rows", views, n_lists, rows, counts, n_rows, at) < 0) {
        goto done;
    }
    for (Py_ssize_t j = 0; j < n_lists; j++) total += n_rows[j];
    int64_t *out = views[got - 2].buf, *occ = views[got - 1].buf;
    if (views[got - 2].len / 8 < total || views[got - 1].len / 8 < total) {
        PyErr_SetString(PyExc_ValueError, "or_rows: rows_out and occ_out at least as long as the rows together");
        goto done;
    }
    Py_ssize_t n = 0;
    Py_BEGIN_ALLOW_THREADS
    for (;;) {
        int64_t row = INT64_MAX, sum = 0;
        for (Py_ssize_t j = 0; j < n_lists; j++) {
            if (at[j] < n_rows[j] && rows[j][at[j]] < row) row = rows[j][at[j]];
        }
        if (row == INT64_MAX) break;
        for (Py_ssize_t j = 0; j < n_lists; j++) {
            if (at[j] < n_rows[j] && rows[j][at[j]] == row) sum += counts[j][at[j]++];
        }
        out[n] = row;
        occ[n] = sum;
        n++;
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(n);
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    return result;
}

/* The buffers of two arrays of int32 or int64 items (count_at's and runs_at's rows and table, sum_at's index
 * and values), named in the error: -1 with an error set (and nothing held) when either is not. */
static int index_views(PyObject *o_rows, PyObject *o_table, Py_buffer *rows, Py_buffer *table, const char *fn,
                       const char *rows_name, const char *table_name) {
    if (PyObject_GetBuffer(o_rows, rows, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: %s must be a C-contiguous int32 or int64 array", fn, rows_name);
        return -1;
    }
    if (PyObject_GetBuffer(o_table, table, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(rows);
        PyErr_Format(PyExc_TypeError, "%s: %s must be a C-contiguous int32 or int64 array", fn, table_name);
        return -1;
    }
    if ((rows->itemsize != 4 && rows->itemsize != 8) || (table->itemsize != 4 && table->itemsize != 8)) {
        PyBuffer_Release(rows);
        PyBuffer_Release(table);
        PyErr_Format(PyExc_TypeError, "%s: %s and %s must hold int32 or int64 items", fn, rows_name, table_name);
        return -1;
    }
    return 0;
}

/* count_at(rows, table, out) -> None: out[table[row]] += 1 for each row of rows (numpy's
 * bincount(table[rows]) without the gathered array: one pass). A row outside table, or a value outside out,
 * is an IndexError. */
static PyObject *count_at(PyObject *self, PyObject *args) {
    PyObject *o_rows, *o_table, *o_out;
    if (!PyArg_ParseTuple(args, "OOO", &o_rows, &o_table, &o_out)) return NULL;
    Py_buffer rows, table, out;
    if (index_views(o_rows, o_table, &rows, &table, "count_at", "rows", "table") < 0) return NULL;
    int got_out = PyObject_GetBuffer(o_out, &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) == 0;
    if (!got_out || out.itemsize != 8) {
        if (got_out) PyBuffer_Release(&out);
        PyBuffer_Release(&rows);
        PyBuffer_Release(&table);
        PyErr_SetString(PyExc_TypeError, "count_at: out must be a writable C-contiguous int64 array");
        return NULL;
    }
    Py_ssize_t n = rows.len / rows.itemsize, n_table = table.len / table.itemsize, n_out = out.len / 8, bad = -1;
    int wide_rows = rows.itemsize == 8, wide_table = table.itemsize == 8;
    int64_t *counts = out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t row = item(rows.buf, wide_rows, i);
        if (row < 0 || row >= n_table) { bad = i; break; }
        int64_t at = item(table.buf, wide_table, row);
        if (at < 0 || at >= n_out) { bad = i; break; }
        counts[at]++;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&rows);
    PyBuffer_Release(&table);
    PyBuffer_Release(&out);
    if (bad >= 0) {
        PyErr_Format(PyExc_IndexError, "count_at: rows[%zd] or its table value lies outside table or out", bad);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* runs_at(rows, table) -> int: how many runs of equal values table[rows[0]], table[rows[1]] … holds (the
 * distinct reports among ascending rows, whose reports ascend too). */
static PyObject *runs_at(PyObject *self, PyObject *args) {
    PyObject *o_rows, *o_table;
    if (!PyArg_ParseTuple(args, "OO", &o_rows, &o_table)) return NULL;
    Py_buffer rows, table;
    if (index_views(o_rows, o_table, &rows, &table, "runs_at", "rows", "table") < 0) return NULL;
    Py_ssize_t n = rows.len / rows.itemsize, n_table = table.len / table.itemsize, runs = 0, bad = -1;
    int wide_rows = rows.itemsize == 8, wide_table = table.itemsize == 8;
    Py_BEGIN_ALLOW_THREADS
    int64_t last = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t row = item(rows.buf, wide_rows, i);
        if (row < 0 || row >= n_table) { bad = i; break; }
        int64_t value = item(table.buf, wide_table, row);
        runs += i == 0 || value != last;
        last = value;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&rows);
    PyBuffer_Release(&table);
    if (bad >= 0) {
        PyErr_Format(PyExc_IndexError, "runs_at: rows[%zd] lies outside table", bad);
        return NULL;
    }
    return PyLong_FromSsize_t(runs);
}

/* sum_at(index, values, out) -> None: out[index[i]] += values[i] for each i (numpy's bincount(index,
 * weights=values) in integers, without the float copy: one pass). values and out hold int64 items; an index
 * outside out is an IndexError. */
static PyObject *sum_at(PyObject *self, PyObject *args) {
    PyObject *o_index, *o_values, *o_out;
    if (!PyArg_ParseTuple(args, "OOO", &o_index, &o_values, &o_out)) return NULL;
    Py_buffer index, values, out;
    if (index_views(o_index, o_values, &index, &values, "sum_at", "index", "values") < 0) return NULL;
    int got_out = PyObject_GetBuffer(o_out, &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) == 0;
    Py_ssize_t n = index.len / index.itemsize, n_out = got_out ? out.len / 8 : 0, bad = -1;
    if (!got_out || out.itemsize != 8 || values.itemsize != 8 || values.len / values.itemsize != n) {
        if (got_out) PyBuffer_Release(&out);
        PyBuffer_Release(&index);
        PyBuffer_Release(&values);
        PyErr_SetString(PyExc_TypeError,
                        "sum_at: values (as many as index) and out must be C-contiguous int64 arrays, out writable");
        return NULL;
    }
    int wide_index = index.itemsize == 8;
    const int64_t *v = values.buf;
    int64_t *sums = out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t at = item(index.buf, wide_index, i);
        if (at < 0 || at >= n_out) { bad = i; break; }
        sums[at] += v[i];
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&index);
    PyBuffer_Release(&values);
    PyBuffer_Release(&out);
    if (bad >= 0) {
        PyErr_Format(PyExc_IndexError, "sum_at: index[%zd] lies outside out", bad);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* moved(positions, state, block_shift, lo, hi, shift, block_bits, out, kept) -> int
 *
 * Offsets moved into a merged generation (search.arrays._moved): positions (int32 or int64, each at least 0
 * and under len(state) << block_bits) inside the intervals [lo, hi) (int64, ascending, disjoint) are moved by
 * their interval's shift (int64) and written in order into out (int32 or int64; too short for them is an error),
 * and kept[i] (one byte each; an empty kept: not recorded) says whether position i was inside one. state (int8,
 * per block of 2**block_bits offsets): 1,
 * the block lies in one interval (block_shift, int64, is its shift); 0, in none; 2, across an edge: only then
 * is the offset searched among the intervals. Returns how many were written. */
static PyObject *moved(PyObject *self, PyObject *args) {
    PyObject *o[8];
    int bits;
    if (!PyArg_ParseTuple(args, "OOOOOOiOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &bits, &o[6], &o[7])) {
        return NULL;
    }
    const char *names[8] = {"positions", "state", "block_shift", "lo", "hi", "shift", "out", "kept"};
    Py_buffer v[8];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 8; got++) {
        if (PyObject_GetBuffer(o[got], &v[got], PyBUF_C_CONTIGUOUS | (got >= 6 ? PyBUF_WRITABLE : 0)) < 0) {
            PyErr_Format(PyExc_TypeError, "moved: %s must be a C-contiguous%s array", names[got],
                         got >= 6 ? ", writable" : "");
            goto done;
        }
    }
    Py_ssize_t n = v[0].len / (v[0].itemsize ? v[0].itemsize : 1), blocks = v[1].len, intervals = v[3].len / 8;
    if ((v[0].itemsize != 4 && v[0].itemsize != 8) || (v[6].itemsize != 4 && v[6].itemsize != 8) ||
        v[1].itemsize != 1 || v[7].itemsize != 1 || v[2].itemsize != 8 || v[3].itemsize != 8 || v[4].itemsize != 8 ||
        v[5].itemsize != 8 || v[2].len / 8 != blocks || v[4].len / 8 != intervals || v[5].len / 8 != intervals ||
        (v[7].len != 0 && v[7].len < n) || bits < 0 || bits > 40) {
        PyErr_SetString(PyExc_TypeError, "moved: arrays of the documented types and lengths expected");
        goto done;
    }
    const int8_t *state = v[1].buf;
    const int64_t *block_shift = v[2].buf, *lo = v[3].buf, *hi = v[4].buf, *shift = v[5].buf;
    uint8_t *kept = v[7].buf;
    int wide_in = v[0].itemsize == 8, wide_out = v[6].itemsize == 8, record = v[7].len != 0;
    Py_ssize_t done_n = 0, bad = -1, room = v[6].len / v[6].itemsize;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t at = item(v[0].buf, wide_in, i), block = at >> bits;
        if (at < 0 || block >= blocks) { bad = i; break; }
        int8_t kind = state[block];
        int64_t to = at + block_shift[block];
        int keep = kind == 1;
        if (kind == 2) { /* the last interval starting at or before the offset */
            Py_ssize_t a = 0, b = intervals;
            while (a < b) {
                Py_ssize_t mid = a + (b - a) / 2;
                if (lo[mid] <= at) a = mid + 1; else b = mid;
            }
            keep = a > 0 && at < hi[a - 1];
            to = keep ? at + shift[a - 1] : at;
        }
        if (record) kept[i] = (uint8_t)keep;
        if (keep) {
            if (done_n == room) { bad = -2; break; }
            if (wide_out) ((int64_t *)v[6].buf)[done_n] = to; else ((int32_t *)v[6].buf)[done_n] = (int32_t)to;
            done_n++;
        }
    }
    Py_END_ALLOW_THREADS
    if (bad >= 0) {
        PyErr_Format(PyExc_ValueError, "moved: positions[%zd] lies outside the blocks", bad);
        goto done;
    }
    if (bad == -2) {
        PyErr_SetString(PyExc_ValueError, "moved: out is too short for the positions kept");
        goto done;
    }
    result = PyLong_FromSsize_t(done_n);
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&v[i]);
    return result;
}

/* inserted(base, at, values, out) -> None
 *
 * numpy's insert(base, at, values) for at ascending (search.arrays.merged_positions), in one pass of block
 * copies: out (len(base) + len(values) items) is base with values[i] put before base[at[i]] (at len(base):
 * after the last), values at one index in their order. base, values and out hold items of one size, 4 or 8
 * bytes; at holds int64 items, as many as values, ascending, each from 0 to len(base). base may be out's own
 * tail (out[len(values):]): the copies run forward, each item written at or before where it is read. */
static PyObject *inserted(PyObject *self, PyObject *args) {
    PyObject *o[4];
    if (!PyArg_ParseTuple(args, "OOOO", &o[0], &o[1], &o[2], &o[3])) return NULL;
    const char *names[4] = {"base", "at", "values", "out"};
    Py_buffer v[4];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 4; got++) {
        if (PyObject_GetBuffer(o[got], &v[got], PyBUF_C_CONTIGUOUS | (got == 3 ? PyBUF_WRITABLE : 0)) < 0) {
            PyErr_Format(PyExc_TypeError, "inserted: %s must be a C-contiguous%s array", names[got],
                         got == 3 ? ", writable" : "");
            goto done;
        }
    }
    Py_ssize_t size = v[0].itemsize, n_base = v[0].len / (size ? size : 1), n_at = v[1].len / 8;
    if ((size != 4 && size != 8) || v[1].itemsize != 8 || v[2].itemsize != size || v[3].itemsize != size ||
        v[2].len / size != n_at || v[3].len / size != n_base + n_at) {
        PyErr_SetString(PyExc_TypeError, "inserted: arrays of the documented types and lengths expected");
        goto done;
    }
    const int64_t *at = v[1].buf;
    for (Py_ssize_t i = 0; i < n_at; i++) {
        if (at[i] < (i ? at[i - 1] : 0) || at[i] > n_base) {
            PyErr_Format(PyExc_ValueError, "inserted: at[%zd] is out of order or outside base", i);
            goto done;
        }
    }
    const char *base = v[0].buf, *values = v[2].buf;
    char *out = v[3].buf;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t from = 0; /* base items copied so far */
    for (Py_ssize_t i = 0; i < n_at; i++) {
        Py_ssize_t upto = (Py_ssize_t)at[i];
        memmove(out, base + from * size, (size_t)((upto - from) * size));
        out += (upto - from) * size;
        memcpy(out, values + i * size, (size_t)size);
        out += size;
        from = upto;
    }
    memmove(out, base + from * size, (size_t)((n_base - from) * size));
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&v[i]);
    return result;
}

#define RADIX_BITS 11
#define RADIX_PASSES 6 /* 66 bits: a uint64 in six passes, an even number, so the last lands in the outputs */

/* radix_order(keys, keys_out, order_out, keys_tmp, order_tmp) -> None
 *
 * keys: uint64 items (read only). Writes keys sorted ascending to keys_out and, to order_out, the index in keys
 * of each: numpy's argsort(keys, kind="stable") (equal keys keep their order), by a least-significant-digit
 * radix sort of six passes of 11 bits, each a stable scatter through the tmp arrays. order_out and order_tmp
 * hold int32 or int64 items (int32: fewer than 2**31 keys); all five as long as keys. */
static PyObject *radix_order(PyObject *self, PyObject *args) {
    PyObject *objs[5];
    if (!PyArg_ParseTuple(args, "OOOOO", &objs[0], &objs[1], &objs[2], &objs[3], &objs[4])) return NULL;
    Py_buffer views[5];
    int got = 0;
    PyObject *result = NULL;
    int64_t(*counts)[1 << RADIX_BITS] = NULL;
    for (int i = 0; i < 5; i++) {
        if (PyObject_GetBuffer(objs[i], &views[got], PyBUF_C_CONTIGUOUS | (i ? PyBUF_WRITABLE : 0)) < 0) {
            PyErr_SetString(PyExc_TypeError, "radix_order: C-contiguous arrays expected (all but keys writable)");
            goto done;
        }
        got++;
    }
    Py_ssize_t n = views[0].len / 8;
    int wide = views[2].itemsize == 8;
    if (views[0].itemsize != 8 || views[1].itemsize != 8 || views[3].itemsize != 8 ||
        (views[2].itemsize != 4 && views[2].itemsize != 8) || views[4].itemsize != views[2].itemsize) {
        PyErr_SetString(PyExc_TypeError, "radix_order: keys as uint64, orders as int32 or int64 (both alike)");
        goto done;
    }
    for (int i = 1; i < 5; i++) {
        if (views[i].len / views[i].itemsize != n) {
            PyErr_SetString(PyExc_ValueError, "radix_order: every array as long as keys");
            goto done;
        }
    }
    if (!wide && n >= ((Py_ssize_t)1 << 31)) {
        PyErr_SetString(PyExc_ValueError, "radix_order: int32 orders hold fewer than 2**31 keys");
        goto done;
    }
    counts = PyMem_Calloc(RADIX_PASSES, sizeof *counts);
    if (counts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const uint64_t *keys = views[0].buf;
    const uint64_t mask = (1 << RADIX_BITS) - 1;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        for (int d = 0; d < RADIX_PASSES; d++) counts[d][(k >> (d * RADIX_BITS)) & mask]++;
    }
    for (int d = 0; d < RADIX_PASSES; d++) { /* each digit's counts become the first place of its bucket */
        int64_t at = 0;
        for (int b = 0; b < (1 << RADIX_BITS); b++) {
            int64_t c = counts[d][b];
            counts[d][b] = at;
            at += c;
        }
    }
    for (int d = 0; d < RADIX_PASSES; d++) {
        /* pass d reads what pass d - 1 wrote (the keys themselves at first) and writes the tmp arrays on
         * even passes, the outputs on odd ones: the sixth lands in the outputs */
        const uint64_t *from_keys = d == 0 ? keys : d % 2 ? views[3].buf : views[1].buf;
        const void *from_order = d % 2 ? views[4].buf : views[2].buf;
        uint64_t *to_keys = d % 2 ? views[1].buf : views[3].buf;
        void *to_order = d % 2 ? views[2].buf : views[4].buf;
        int64_t *place = counts[d];
        int shift = d * RADIX_BITS;
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t k = from_keys[i];
            int64_t at = place[(k >> shift) & mask]++;
            int64_t index = d == 0 ? i : item(from_order, wide, i);
            to_keys[at] = k;
            if (wide) ((int64_t *)to_order)[at] = index;
            else ((int32_t *)to_order)[at] = (int32_t)index;
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(counts);
    for (int i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    return result;
}

struct cell_tables {
    const void *rows, *cells, *codes;
    const uint8_t *kept, *section_kept;
    int64_t *per_code, *per_report;
    Py_ssize_t n, n_cells, n_codes, n_kept, n_section_kept, n_per_code, n_per_report;
    int wide_rows, wide_cells, wide_codes;
};

#define SIX_SECTIONS 6 /* search.models.SECTIONS: a constant divisor is a multiplication, a variable one 40 cycles */

/* cell_sums's loop; returns the first row out of bounds (or whose cell or code is), or -1. Inlined, so that a
 * constant n_sections divides without a division instruction; the tables' fields are read into locals once (a
 * count written through an int64_t pointer could otherwise be any of them, read again after each). */
static inline Py_ssize_t cells_summed(const struct cell_tables *t, Py_ssize_t n_sections) {
    const void *rows = t->rows, *cells = t->cells, *codes = t->codes;
    const uint8_t *kept = t->kept, *section_kept = t->section_kept;
    int64_t *per_code = t->per_code, *per_report = t->per_report;
    const Py_ssize_t n = t->n, n_cells = t->n_cells, n_codes = t->n_codes, n_per_code = t->n_per_code;
    const Py_ssize_t n_per_report = t->n_per_report;
    const int all_reports = !t->n_kept, all_sections = !t->n_section_kept;
    const int wide_rows = t->wide_rows, wide_cells = t->wide_cells, wide_codes = t->wide_codes;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t row = item(rows, wide_rows, i);
        if (row < 0 || row >= n_cells) return i;
        int64_t cell = item(cells, wide_cells, row);
        if (cell < 0 || cell >= n_codes) return i;
        int64_t report = cell / n_sections, section = cell - report * n_sections;
        if (report >= n_per_report) return i;
        int64_t code = item(codes, wide_codes, cell);
        if (code < 0 || code >= n_per_code) return i;
        per_code[code] += all_reports || kept[report];
        per_report[report] += all_sections || section_kept[section];
    }
    return -1;
}

/* cell_sums(rows, cells, codes, report_kept, section_kept, n_sections, per_code, per_report) -> None
 *
 * The facets' two sums over the matches, in one pass (search.tantivy_engine's facet counts; before, the
 * matches were counted into every (report, section) cell and each sum was a pass over all the cells). For
 * each row of rows: its cell c = cells[row] (report * n_sections + section); per_code[codes[c]] += 1 when
 * report_kept is empty or report_kept[report] is not 0 (the region filter: it narrows the year, section and
 * document type facets), and per_report[report] += 1 when section_kept is empty or section_kept[section] is
 * not 0 (the section filter: it narrows the region facet). rows, cells and codes hold int32 or int64 items,
 * the masks one byte each, per_code and per_report int64 (writable). Anything outside its array is an
 * IndexError. */
static PyObject *cell_sums(PyObject *self, PyObject *args) {
    PyObject *o[7];
    Py_ssize_t n_sections;
    if (!PyArg_ParseTuple(args, "OOOOOnOO", &o[0], &o[1], &o[2], &o[3], &o[4], &n_sections, &o[5], &o[6])) {
        return NULL;
    }
    const char *names[7] = {"rows", "cells", "codes", "report_kept", "section_kept", "per_code", "per_report"};
    const Py_ssize_t sizes[7] = {0, 0, 0, 1, 1, 8, 8}; /* 0: int32 or int64 */
    Py_buffer v[7];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 7; got++) {
        int flags = PyBUF_C_CONTIGUOUS | (got >= 5 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(o[got], &v[got], flags) < 0) {
            PyErr_Format(PyExc_TypeError, "cell_sums: %s must be a C-contiguous%s array", names[got],
                         got >= 5 ? ", writable" : "");
            goto done;
        }
        Py_ssize_t size = v[got].itemsize;
        if (sizes[got] ? size != sizes[got] : (size != 4 && size != 8)) {
            got++;
            PyErr_Format(PyExc_TypeError, "cell_sums: %s holds items of %zd bytes", names[got - 1], size);
            goto done;
        }
    }
    if (n_sections < 1) {
        PyErr_SetString(PyExc_ValueError, "cell_sums: n_sections must be at least 1");
        goto done;
    }
    Py_ssize_t n = v[0].len / v[0].itemsize, n_cells = v[1].len / v[1].itemsize, n_codes = v[2].len / v[2].itemsize;
    Py_ssize_t n_kept = v[3].len, n_section_kept = v[4].len, n_per_code = v[5].len / 8, n_per_report = v[6].len / 8;
    if ((n_kept && n_kept != n_per_report) || (n_section_kept && n_section_kept != n_sections)) {
        PyErr_SetString(PyExc_ValueError, "cell_sums: a mask must be empty or one byte per report (per section)");
        goto done;
    }
    int wide_rows = v[0].itemsize == 8, wide_cells = v[1].itemsize == 8, wide_codes = v[2].itemsize == 8;
    const uint8_t *kept = v[3].buf, *section_kept = v[4].buf;
    int64_t *per_code = v[5].buf, *per_report = v[6].buf;
    Py_ssize_t bad;
    Py_BEGIN_ALLOW_THREADS
    struct cell_tables t = {v[0].buf, v[1].buf, v[2].buf, kept, section_kept, per_code, per_report, n, n_cells,
                            n_codes, n_kept, n_section_kept, n_per_code, n_per_report, wide_rows, wide_cells,
                            wide_codes};
    bad = n_sections == SIX_SECTIONS ? cells_summed(&t, SIX_SECTIONS) : cells_summed(&t, n_sections);
    Py_END_ALLOW_THREADS
    if (bad >= 0) {
        PyErr_Format(PyExc_IndexError, "cell_sums: rows[%zd], its cell or its code lies outside its array", bad);
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&v[i]);
    return result;
}

static PyMethodDef methods[] = {
    {"literal_runs", literal_runs, METH_VARARGS,
     "literal_runs(units, entries, rank, lit, anchor, rows_out, counts_out) -> int: the runs of rows holding the "
     "literal's starts among the anchor's entries (see search/_count.c)."},
    {"and_rows", and_rows, METH_VARARGS,
     "and_rows(rows, counts, without, rows_out, occ_out) -> int: the rows in every array of rows and none of "
     "without, with their counts summed (see search/_count.c)."},
    {"or_rows", or_rows, METH_VARARGS,
     "or_rows(rows, counts, rows_out, occ_out) -> int: the rows in any array of rows, once each, with their counts "
     "summed (see search/_count.c)."},
    {"radix_order", radix_order, METH_VARARGS,
     "radix_order(keys, keys_out, order_out, keys_tmp, order_tmp): uint64 keys sorted, and numpy's stable argsort "
     "of them (see search/_count.c)."},
    {"count_at", count_at, METH_VARARGS, "count_at(rows, table, out): out[table[row]] += 1 for each row."},
    {"sum_at", sum_at, METH_VARARGS, "sum_at(index, values, out): out[index[i]] += values[i] for each i."},
    {"runs_at", runs_at, METH_VARARGS, "runs_at(rows, table) -> int: the runs of equal table[row] over rows."},
    {"cell_sums", cell_sums, METH_VARARGS,
     "cell_sums(rows, cells, codes, report_kept, section_kept, n_sections, per_code, per_report): the matches "
     "counted by their cell's code (reports kept) and by report (sections kept) in one pass (see search/_count.c)."},
    {"moved", moved, METH_VARARGS,
     "moved(positions, state, block_shift, lo, hi, shift, block_bits, out, kept) -> int: positions inside the "
     "intervals moved by their shift (see search/_count.c)."},
    {"inserted", inserted, METH_VARARGS,
     "inserted(base, at, values, out): numpy's insert(base, at, values) for at ascending, into out (see "
     "search/_count.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_count", NULL, -1, methods};

PyMODINIT_FUNC PyInit__count(void) { return PyModule_Create(&module); }
