/* Capitalized-token runs ("Maria Garcia", "Ken N. Fukuda", "Jan van der Berg") in one C pass.
 *
 * The exact equivalent of the regex ``_RUNS`` of ``_lexicon_runs.py`` (which stays the fallback
 * and the reference: a parity test holds both to the same positions on generated text):
 *
 *   WORD = [UPPER](?:['’][UPPER])?[LOWER][LETTER]*(?:[-'’][LETTER]+)*
 *   RUN  = WORD(?:[ \t]+(?:(?:PARTICLE)[ \t]+){0,2}(?:[UPPER]\.?[ \t]+){0,2}WORD){0,7}
 *   a run's first capital not preceded by [\w/+=\\.]
 *
 * Every choice in that regex is decided by the next character (a particle is a lower-case word
 * and an initial a lone capital, so neither can start a WORD; an apostrophe after the first capital
 * must be followed by a capital), so greedy left-to-right scanning with no backtracking yields the
 * regex engine's match. UPPER and LOWER are the sets the Python module passes to ``configure``
 * (ASCII plus Latin-1/Latin Extended-A/B letters); LETTER is ``[^\W\d_]``, that is a character that
 * is alphanumeric but not a decimal digit, exactly as ``re`` defines ``\w`` and ``\d`` for str.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define CLASS_LIMIT 0x250
static unsigned char upper_set[CLASS_LIMIT];
static unsigned char lower_set[CLASS_LIMIT];
static int configured = 0;

static const char *const PARTICLES[] = {
    "van", "von", "de", "da", "di", "del", "della", "der", "den", "du", "dos", "das",
    "la", "le", "bin", "ibn", "al", "el", "ter", "ten", "y", NULL};

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Text;

static inline Py_UCS4 at(const Text *t, Py_ssize_t i) { return PyUnicode_READ(t->kind, t->data, i); }

static inline int is_upper(Py_UCS4 c) { return c < CLASS_LIMIT && upper_set[c]; }
static inline int is_lower(Py_UCS4 c) { return c < CLASS_LIMIT && lower_set[c]; }
static inline int is_blank(Py_UCS4 c) { return c == ' ' || c == '\t'; }
static inline int is_apostrophe(Py_UCS4 c) { return c == '\'' || c == 0x2019; }

static inline int is_letter(Py_UCS4 c) {
    if (c < 128) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
    return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c);
}

/* [\w/+=\\.]: what may not stand right before a run's first capital */
static inline int is_glue_before(Py_UCS4 c) {
    if (c < 128) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '/' || c == '+' || c == '=' || c == '\\' || c == '.';
    }
    return Py_UNICODE_ISALNUM(c);
}

#define SKIP_TO_CAPITAL(TYPE)                                                                  \
    do {                                                                                       \
        const TYPE *d = (const TYPE *)t->data;                                                 \
        while (i < t->n && !(d[i] < CLASS_LIMIT && upper_set[d[i]])) {                        \
            i++;                                                                               \
        }                                                                                      \
    } while (0)

/* The first index >= i holding a capital (t->n if none). */
static Py_ssize_t next_capital(const Text *t, Py_ssize_t i) {
    switch (t->kind) {
    case PyUnicode_1BYTE_KIND:
        SKIP_TO_CAPITAL(Py_UCS1);
        break;
    case PyUnicode_2BYTE_KIND:
        SKIP_TO_CAPITAL(Py_UCS2);
        break;
    default:
        SKIP_TO_CAPITAL(Py_UCS4);
        break;
    }
    return i;
}

/* End of the WORD starting at i, or -1. */
static Py_ssize_t word_at(const Text *t, Py_ssize_t i) {
    Py_ssize_t n = t->n;
    if (i >= n || !is_upper(at(t, i))) {
        return -1;
    }
    i++;
    if (i + 1 < n && is_apostrophe(at(t, i)) && is_upper(at(t, i + 1))) {
        i += 2; /* "O'Brien" */
    }
    if (i >= n || !is_lower(at(t, i))) {
        return -1;
    }
    i++;
    while (i < n && is_letter(at(t, i))) {
        i++;
    }
    /* (?:[-'’][LETTER]+)* */
    while (i + 1 < n) {
        Py_UCS4 c = at(t, i);
        if (!(c == '-' || is_apostrophe(c)) || !is_letter(at(t, i + 1))) {
            break;
        }
        i += 2;
        while (i < n && is_letter(at(t, i))) {
            i++;
        }
    }
    return i;
}

static inline Py_ssize_t skip_blanks(const Text *t, Py_ssize_t i) {
    while (i < t->n && is_blank(at(t, i))) {
        i++;
    }
    return i;
}

/* End of "PARTICLE[ \t]+" at i, or -1. */
static Py_ssize_t particle_at(const Text *t, Py_ssize_t i) {
    if (i >= t->n) {
        return -1;
    }
    switch (at(t, i)) { /* the first letters of the particles */
    case 'a': case 'b': case 'd': case 'e': case 'i': case 'l': case 't': case 'v': case 'y':
        break;
    default:
        return -1;
    }
    for (const char *const *p = PARTICLES; *p != NULL; p++) {
        Py_ssize_t k = 0;
        const char *w = *p;
        while (w[k] != '\0' && i + k < t->n && at(t, i + k) == (Py_UCS4)(unsigned char)w[k]) {
            k++;
        }
        if (w[k] == '\0' && i + k < t->n && is_blank(at(t, i + k))) {
            return skip_blanks(t, i + k);
        }
    }
    return -1;
}

/* End of "[UPPER]\.?[ \t]+" at i, or -1. */
static Py_ssize_t initial_at(const Text *t, Py_ssize_t i) {
    if (i >= t->n || !is_upper(at(t, i))) {
        return -1;
    }
    i++;
    if (i < t->n && at(t, i) == '.') {
        i++;
    }
    if (i >= t->n || !is_blank(at(t, i))) {
        return -1;
    }
    return skip_blanks(t, i);
}

/* End of the whole run whose first WORD ends at ``end``. */
static Py_ssize_t run_end(const Text *t, Py_ssize_t end) {
    for (int rep = 0; rep < 7; rep++) {
        Py_ssize_t i = end;
        if (i >= t->n || !is_blank(at(t, i))) {
            break;
        }
        i = skip_blanks(t, i);
        for (int k = 0; k < 2; k++) {
            Py_ssize_t j = particle_at(t, i);
            if (j < 0) {
                break;
            }
            i = j;
        }
        for (int k = 0; k < 2; k++) {
            Py_ssize_t j = initial_at(t, i);
            if (j < 0) {
                break;
            }
            i = j;
        }
        Py_ssize_t w = word_at(t, i);
        if (w < 0) {
            break;
        }
        end = w;
    }
    return end;
}

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *upper, *lower;
    if (!PyArg_ParseTuple(args, "UU:configure", &upper, &lower)) {
        return NULL;
    }
    unsigned char up[CLASS_LIMIT] = {0}, low[CLASS_LIMIT] = {0};
    PyObject *sets[2] = {upper, lower};
    unsigned char *dst[2] = {up, low};
    for (int s = 0; s < 2; s++) {
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(sets[s]) < 0) {
            return NULL;
        }
#endif
        Py_ssize_t n = PyUnicode_GET_LENGTH(sets[s]);
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = PyUnicode_READ_CHAR(sets[s], i);
            if (c >= CLASS_LIMIT) {
                PyErr_SetString(PyExc_ValueError, "class character out of range");
                return NULL;
            }
            dst[s][c] = 1;
        }
    }
    memcpy(upper_set, up, sizeof up);
    memcpy(lower_set, low, sizeof low);
    configured = 1;
    Py_RETURN_NONE;
}

static PyObject *positions(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "positions() expects a str");
        return NULL;
    }
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "configure() was not called");
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(arg) < 0) { /* a legacy (wstr) string: make its canonical form */
        return NULL;
    }
#endif
    Text t = {PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)};
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    Py_ssize_t n = t.n;
    Py_ssize_t i = 0;
    while (i < n) {
        i = next_capital(&t, i); /* the tight loop: most characters are not capitals */
        if (i >= n) {
            break;
        }
        Py_UCS4 c = at(&t, i);
        if (!is_upper(c) || (i > 0 && is_glue_before(at(&t, i - 1)))) {
            i++;
            continue;
        }
        Py_ssize_t w = word_at(&t, i);
        if (w < 0) {
            i++;
            continue;
        }
        Py_ssize_t end = run_end(&t, w);
        PyObject *run = PyUnicode_Substring(arg, i, end);
        if (run == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyObject *start = PyLong_FromSsize_t(i);
        PyObject *item = start == NULL ? NULL : PyTuple_New(2);
        if (item == NULL) {
            Py_XDECREF(start);
            Py_DECREF(run);
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(item, 0, start);
        PyTuple_SET_ITEM(item, 1, run);
        if (PyList_Append(out, item) < 0) {
            Py_DECREF(item);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(item);
        i = end;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(upper, lower): the characters of the UPPER and LOWER classes (all < U+0250)."},
    {"positions", positions, METH_O,
     "positions(text) -> [(start, run)]: every capitalized run of text, in text order."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_runscan",
                                    "Capitalized-run scanner (C twin of _lexicon_runs._RUNS).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__runscan(void) { return PyModule_Create(&module); }
