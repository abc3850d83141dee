/* The loop at the heart of counting a literal (search.arrays.CorpusText.row_counts), compiled.
 *
 * literal_runs(units, entries, rank, lit, anchor, rows_out, counts_out) -> int
 *
 * units: the corpus's UTF-16 code units (uint16); entries: offsets of the literal's anchor bigram (or of its one
 * unit), int32 or int64; rank: the row-rank table (uint64, search.arrays.row_rank); lit: the literal's units
 * (uint16); anchor: the anchor's offset within the literal. For each entry, in order, the literal's start is
 * the entry minus anchor; a start whose units all equal the literal's is turned into its row (read from rank
 * as search.arrays.rows_at does), and runs of equal rows are written to rows_out and counts_out (int64, at
 * least as long as entries: a row and its starts in the run). Returns the number of runs written.
 *
 * One pass over the entries with nothing in between, against numpy's dozen passes of temporary arrays, and
 * without the interpreter's lock: two halves of the entries run on two threads at once. Only the buffer
 * protocol is used, so the module builds with Python's headers alone.
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

WITH_POPCNT
static Py_ssize_t runs_of(const uint16_t *units, Py_ssize_t n_units, const void *entries, int wide,
                          Py_ssize_t n_entries, const uint64_t *rank, const uint16_t *lit, Py_ssize_t n_lit,
                          Py_ssize_t anchor, int64_t *rows, int64_t *counts) {
    Py_ssize_t runs = 0;
    int64_t last = -1;
    for (Py_ssize_t i = 0; i < n_entries; i++) {
        int64_t pos = wide ? ((const int64_t *)entries)[i] : (int64_t)((const int32_t *)entries)[i];
        pos -= anchor;
        if (pos < 0 || pos + n_lit > n_units) continue;
        const uint16_t *at = units + pos;
        int holds = 1;
        for (Py_ssize_t k = 0; k < n_lit && holds; k++) {
            /* the anchor (its bigram, or the one unit) holds by construction */
            holds = k == anchor || k == anchor + 1 || at[k] == lit[k];
        }
        if (!holds) continue;
        uint64_t packed = rank[pos >> 5];
        uint64_t low = packed << (63 - (pos & 31));
        int64_t row = (int64_t)(packed >> 32) + __builtin_popcountll(low) - 1;
        if (row == last) {
            counts[runs - 1]++;
        } else {
            rows[runs] = row;
            counts[runs] = 1;
            runs++;
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

static PyMethodDef methods[] = {
    {"literal_runs", literal_runs, METH_VARARGS,
     "literal_runs(units, entries, rank, lit, anchor, rows_out, counts_out) -> int: the runs of rows holding the "
     "literal's starts among the anchor's entries (see search/_count.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_count", NULL, -1, methods};

PyMODINIT_FUNC PyInit__count(void) { return PyModule_Create(&module); }
