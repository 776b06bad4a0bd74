/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The staging mount's edits of the disc's tree: the model, its changes and its queries (the
 * resolution rule of engine/edits.h). The log that keeps them is edits-log.c.
 */
#include "engine/edits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "edits-internal.h"

/* ---- records by disc path -------------------------------------------------------------- */

static size_t slot_of(const struct eng_edits *e, const char *disc)
{
	size_t mask = e->nslots - 1, i = (size_t)XXH3_64bits(disc, strlen(disc)) & mask;

	while (e->slots[i] && strcmp(e->slots[i]->disc, disc) != 0)
		i = (i + 1) & mask;
	return i;
}

static struct edit_rec *rec_find(const struct eng_edits *e, const char *disc)
{
	return e->nslots ? e->slots[slot_of(e, disc)] : NULL;
}

static int slots_grow(struct eng_edits *e)
{
	struct edit_rec **old = e->slots;
	size_t nold = e->nslots, n = nold ? nold * 2 : 64;

	e->slots = calloc(n, sizeof(*e->slots));
	if (!e->slots) {
		e->slots = old;
		return -ENOMEM;
	}
	e->nslots = n;
	for (size_t i = 0; i < nold; i++)
		if (old[i])
			e->slots[slot_of(e, old[i]->disc)] = old[i];
	free(old);
	return 0;
}

/* The record of disc, made empty when there is none; NULL on -ENOMEM. */
static struct edit_rec *rec_get(struct eng_edits *e, const char *disc)
{
	struct edit_rec *r = rec_find(e, disc);

	if (r)
		return r;
	if ((e->nrecs + 1) * 2 > e->nslots && slots_grow(e) < 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->disc = strdup(disc))) {
		free(r);
		return NULL;
	}
	e->slots[slot_of(e, disc)] = r;
	e->nrecs++;
	return r;
}

static void rec_free(struct edit_rec *r)
{
	for (uint32_t i = 0; i < r->nlinks; i++)
		free(r->links[i]);
	free(r->links);
	free(r->move);
	free(r->disc);
	free(r);
}

/* Remove r from the table (backward-shift deletion keeps every probe chain whole). */
static void rec_remove(struct eng_edits *e, struct edit_rec *r)
{
	size_t mask = e->nslots - 1, i = slot_of(e, r->disc), j = i;

	e->slots[i] = NULL;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!e->slots[j])
			break;
		home = (size_t)XXH3_64bits(e->slots[j]->disc, strlen(e->slots[j]->disc)) & mask;
		/* move j back into the hole at i unless its home lies in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			e->slots[i] = e->slots[j];
			e->slots[j] = NULL;
			i = j;
		}
	}
	e->nrecs--;
	rec_free(r);
}

static size_t rec_weight(const struct edit_rec *r)
{
	return (size_t)r->deleted + (r->move != NULL) + r->nlinks + (r->attr.mask != 0);
}

/* Around a change of r: live counts it again, and a record left without edits goes. */
static void rec_begin(struct eng_edits *e, const struct edit_rec *r)
{
	e->live -= rec_weight(r);
}

static void rec_end(struct eng_edits *e, struct edit_rec *r)
{
	e->live += rec_weight(r);
	if (!rec_weight(r))
		rec_remove(e, r);
}

/* ---- targets, sorted by bytes ---------------------------------------------------------- */

static int tgt_cmp(const void *a, const void *b)
{
	return strcmp(((const struct edit_tgt *)a)->path, ((const struct edit_tgt *)b)->path);
}

/* The first target not below key. */
static size_t tgt_lower(const struct eng_edits *e, const char *key)
{
	size_t lo = 0, hi = e->ntg;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(e->tg[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static long tgt_find(const struct eng_edits *e, const char *path)
{
	size_t i = tgt_lower(e, path);

	return i < e->ntg && strcmp(e->tg[i].path, path) == 0 ? (long)i : -1;
}

static int tgt_add(struct eng_edits *e, const char *path, struct edit_rec *r)
{
	size_t i = tgt_lower(e, path);

	if (BFS_GROW(e->tg, e->tg_cap, e->ntg + 1) < 0)
		return -ENOMEM;
	memmove(&e->tg[i + 1], &e->tg[i], (e->ntg - i) * sizeof(*e->tg));
	e->tg[i] = (struct edit_tgt){.path = path, .r = r};
	e->ntg++;
	return 0;
}

static void tgt_del(struct eng_edits *e, size_t i)
{
	memmove(&e->tg[i], &e->tg[i + 1], (e->ntg - i - 1) * sizeof(*e->tg));
	e->ntg--;
}

/* The record's own string for target i (its move, or one of its links). */
static char **tgt_slot(const struct eng_edits *e, size_t i)
{
	struct edit_rec *r = e->tg[i].r;

	if (r->move == e->tg[i].path)
		return &r->move;
	for (uint32_t k = 0; k < r->nlinks; k++)
		if (r->links[k] == e->tg[i].path)
			return &r->links[k];
	abort(); /* every target is a string of its record */
}

/* Drop target i and its string from its record. */
static void tgt_drop(struct eng_edits *e, size_t i)
{
	struct edit_rec *r = e->tg[i].r;
	char **s = tgt_slot(e, i);

	tgt_del(e, i);
	free(*s);
	if (s == &r->move) {
		r->move = NULL;
		return;
	}
	*s = r->links[--r->nlinks];
}

/* ---- resolution -------------------------------------------------------------------------- */

static char *join(const char *dir, const char *name, size_t name_len)
{
	size_t dl = strlen(dir);
	char *p = malloc(dl + 1 + name_len + 1);

	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (dl)
		p[dl++] = '/';
	memcpy(p + dl, name, name_len);
	p[dl + name_len] = '\0';
	return p;
}

/*
 * The origin of merged path buf[0..len) (buf writable: each prefix is cut in turn), the rule
 * of edits.h applied one component at a time from the root: *ret NULL when none. With
 * skip_last, the last component's own target and record are not looked at: the disc path
 * where the rule would put the node without a MOVE or LINK of its own (its home).
 */
static int resolve(const struct eng_edits *e, char *buf, size_t len, bool skip_last, char **ret)
{
	char *cur = strdup("");
	size_t at = 0;

	if (!cur)
		return -ENOMEM;
	while (at < len) {
		size_t end = at;
		bool own;
		char *next = NULL, save;
		long t = -1;

		while (end < len && buf[end] != '/')
			end++;
		own = !(end == len && skip_last);
		if (own) {
			save = buf[end];
			buf[end] = '\0';
			t = tgt_find(e, buf);
			buf[end] = save;
		}
		if (t >= 0 || cur) {
			const struct edit_rec *r;

			next = t >= 0 ? strdup(e->tg[t].r->disc) : join(cur, buf + at, end - at);
			if (!next) {
				free(cur);
				return -ENOMEM;
			}
			r = t < 0 && own ? rec_find(e, next) : NULL;
			if (r && (r->deleted || r->move)) { /* shows elsewhere or nowhere */
				free(next);
				next = NULL;
			}
		}
		free(cur);
		cur = next;
		at = end + 1;
	}
	*ret = cur;
	return 0;
}

static int origin_of(const struct eng_edits *e, const char *path, bool skip_last, char **ret)
{
	_cleanup_free_ char *buf = strdup(path);

	if (!buf)
		return -ENOMEM;
	if (!e->ntg && !e->nrecs) { /* nothing edited: every path is its own */
		*ret = TAKE_PTR(buf);
		return 0;
	}
	return resolve(e, buf, strlen(buf), skip_last, ret);
}

/*
 * Target i dropped when it names its node's home, where the rule shows it anyway: a MOVE
 * renamed back, or a LINK where its deleted node's own name was. 1 when dropped.
 */
static int home_drop(struct eng_edits *e, size_t i)
{
	struct edit_rec *r = e->tg[i].r;
	_cleanup_free_ char *home = NULL;
	bool is_move = r->move == e->tg[i].path;
	int q = origin_of(e, e->tg[i].path, true, &home);

	if (q < 0)
		return q;
	if (!home || strcmp(home, r->disc) != 0 || (!is_move && !r->deleted))
		return 0;
	rec_begin(e, r);
	tgt_drop(e, i);
	r->deleted = false;
	rec_end(e, r);
	return 1;
}

static int home_drop_path(struct eng_edits *e, const char *path)
{
	long i = tgt_find(e, path);

	return i < 0 ? 0 : home_drop(e, (size_t)i);
}

/* ---- changes ----------------------------------------------------------------------------- */

/* 1 when something changed, 0 when nothing did, or -errno. */
int edits_do_delete(struct eng_edits *e, const char *disc, const char *path)
{
	long i = tgt_find(e, path);
	struct edit_rec *r;

	if (!disc)
		return 0; /* a staged node: nothing of the disc's goes */
	if (i >= 0 && strcmp(e->tg[i].r->disc, disc) == 0) {
		r = e->tg[i].r;
		rec_begin(e, r);
		if (r->move == e->tg[i].path)
			r->deleted = true; /* not back at its old place either */
		tgt_drop(e, (size_t)i);
		rec_end(e, r);
		return 1;
	}
	r = rec_get(e, disc);
	if (!r)
		return -ENOMEM;
	rec_begin(e, r);
	if (r->move) /* shown elsewhere than path: gone from there too */
		tgt_drop(e, (size_t)tgt_find(e, r->move));
	r->deleted = true;
	rec_end(e, r);
	return 1;
}

static bool under(const char *path, const char *dir, size_t dl)
{
	return strncmp(path, dir, dl) == 0 && path[dl] == '/';
}

/* The targets under from/ renamed under to/; their new strings in moved[0..*n). */
static int rename_under(struct eng_edits *e, const char *from, const char *to, char ***moved,
			size_t *n)
{
	size_t fl = strlen(from), tl = strlen(to), i;
	_cleanup_free_ char *key = join(from, "", 0);

	if (!key)
		return -ENOMEM; /* "from/" */
	i = tgt_lower(e, key);
	*moved = NULL;
	*n = 0;
	for (; i < e->ntg && under(e->tg[i].path, from, fl); i++) {
		char **s = tgt_slot(e, i);
		size_t rest = strlen(*s) - fl;
		char *p = malloc(tl + rest + 1);
		char **m;

		if (!p)
			return -ENOMEM;
		memcpy(p, to, tl);
		memcpy(p + tl, *s + fl, rest + 1);
		m = realloc(*moved, (*n + 1) * sizeof(**moved));
		if (!m) {
			free(p);
			return -ENOMEM;
		}
		*moved = m;
		free(*s);
		*s = p;
		e->tg[i].path = p;
		(*moved)[(*n)++] = p;
	}
	return 0;
}

/* The renamed node's own target: its MOVE or LINK target moved, or a MOVE for it. */
static int rename_self(struct eng_edits *e, const char *from, const char *to, const char *disc,
		       bool *changed)
{
	long i = tgt_find(e, from);
	struct edit_rec *r;
	char *p = strdup(to), **s;

	if (!p)
		return -ENOMEM;
	if (i >= 0) {
		s = tgt_slot(e, (size_t)i);
		free(*s);
		*s = p;
		e->tg[i].path = p; /* sorted again by the caller */
		*changed = true;
		return 0;
	}
	if (!disc) {
		free(p);
		return 0;
	}
	r = rec_get(e, disc);
	if (!r || BFS_GROW(e->tg, e->tg_cap, e->ntg + 1) < 0) {
		free(p);
		return -ENOMEM;
	}
	rec_begin(e, r);
	if (r->move)
		tgt_drop(e, (size_t)tgt_find(e, r->move));
	r->move = p;
	e->tg[e->ntg++] = (struct edit_tgt){.path = p, .r = r};
	rec_end(e, r);
	*changed = true;
	return 0;
}

int edits_do_rename(struct eng_edits *e, const char *from, const char *to, const char *disc)
{
	size_t n = 0, at;
	bool changed = false;
	char **moved = NULL;
	_cleanup_free_ char *key = join(to, "", 0);
	int r;

	if (!key)
		return -ENOMEM; /* "to/" */
	if (strcmp(from, to) == 0)
		return 0;
	at = tgt_lower(e, key);
	if (tgt_find(e, to) >= 0 || (at < e->ntg && under(e->tg[at].path, to, strlen(to))))
		return -EEXIST; /* the caller deletes what `to` held first */
	r = rename_under(e, from, to, &moved, &n);
	if (r == 0)
		r = rename_self(e, from, to, disc, &changed);
	if (n || changed)
		qsort(e->tg, e->ntg, sizeof(*e->tg), tgt_cmp);
	if (r == 0 && changed)
		r = home_drop_path(e, to);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = home_drop_path(e, moved[i]);
	free(moved);
	return r < 0 ? r : n || changed;
}

int edits_do_link(struct eng_edits *e, const char *disc, const char *path)
{
	struct edit_rec *r;
	char *p;
	int q;

	if (tgt_find(e, path) >= 0)
		return -EEXIST;
	r = rec_get(e, disc);
	p = strdup(path);
	if (!r || !p || BFS_GROW(r->links, r->links_cap, r->nlinks + 1) < 0) {
		free(p);
		if (r && !rec_weight(r))
			rec_remove(e, r);
		return -ENOMEM;
	}
	rec_begin(e, r);
	q = tgt_add(e, p, r);
	if (q == 0)
		r->links[r->nlinks++] = p;
	else
		free(p);
	rec_end(e, r);
	if (q == 0)
		q = home_drop_path(e, path);
	return q < 0 ? q : 1;
}

int edits_do_attr(struct eng_edits *e, const char *disc, const struct eng_attr *a)
{
	struct edit_rec *r = rec_get(e, disc);
	struct eng_attr *t;

	if (!r)
		return -ENOMEM;
	rec_begin(e, r);
	t = &r->attr;
	if (a->mask & ENG_ATTR_MODE)
		t->mode = a->mode & 07777;
	if (a->mask & ENG_ATTR_UID)
		t->uid = a->uid;
	if (a->mask & ENG_ATTR_GID)
		t->gid = a->gid;
	if (a->mask & ENG_ATTR_MTIME)
		t->mtime = a->mtime;
	if (a->mask & ENG_ATTR_ATIME)
		t->atime = a->atime;
	t->mask |= a->mask &
		   (ENG_ATTR_MODE | ENG_ATTR_UID | ENG_ATTR_GID | ENG_ATTR_MTIME | ENG_ATTR_ATIME);
	rec_end(e, r);
	return t->mask != 0;
}

int edits_do_set(struct eng_edits *e, char kind, const char *disc, const char *target)
{
	struct edit_rec *r;
	char *p = NULL;
	int q = 0;

	if (kind != 'x' && (!target || tgt_find(e, target) >= 0))
		return -EEXIST;
	r = rec_get(e, disc);
	if (!r)
		return -ENOMEM;
	if ((kind == 'x' && (r->deleted || r->move)) || (kind == 'm' && (r->deleted || r->move)))
		return -EEXIST; /* a compact log has one of each */
	if (kind != 'x' && (!(p = strdup(target)) ||
			    (kind == 'l' && BFS_GROW(r->links, r->links_cap, r->nlinks + 1) < 0)))
		q = -ENOMEM;
	if (q == 0 && p)
		q = tgt_add(e, p, r);
	rec_begin(e, r);
	if (q == 0 && kind == 'x')
		r->deleted = true;
	else if (q == 0 && kind == 'm')
		r->move = p;
	else if (q == 0)
		r->links[r->nlinks++] = p;
	else
		free(p);
	rec_end(e, r);
	return q;
}

void edits_clear(struct eng_edits *e)
{
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i])
			rec_free(e->slots[i]);
	free(e->slots);
	free(e->tg);
	e->slots = NULL;
	e->tg = NULL;
	e->nslots = e->nrecs = e->ntg = e->tg_cap = e->live = 0;
}

static int rec_cmp(const void *a, const void *b)
{
	return strcmp((*(struct edit_rec *const *)a)->disc, (*(struct edit_rec *const *)b)->disc);
}

int edits_sorted(const struct eng_edits *e, struct edit_rec ***ret)
{
	struct edit_rec **v = NULL;
	size_t n = 0;

	*ret = NULL;
	if (!e->nrecs)
		return 0;
	v = malloc(e->nrecs * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i])
			v[n++] = e->slots[i];
	qsort(v, n, sizeof(*v), rec_cmp);
	*ret = v;
	return 0;
}

/* ---- the public changes: checked, made, logged ------------------------------------------ */

/* A merged or disc path: "a/b", components neither empty nor "." nor "..". */
static bool path_ok(const char *p, bool root_ok)
{
	if (!p)
		return false;
	if (!*p)
		return root_ok;
	for (const char *c = p;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[n])
			return true;
		c += n + 1;
	}
}

static int bad_path(struct bfs_diag *diag, const char *what, const char *p)
{
	return bfs_diag_set(diag, -EINVAL, "edits: %s '%s' is not a path of the tree", what,
			    p ? p : "(null)");
}

static int changed(struct eng_edits *e, int q, struct bfs_diag *diag, char op, const char *a,
		   const char *b, const char *c, const struct eng_attr *attr)
{
	if (q == -EEXIST)
		return bfs_diag_set(diag, -EEXIST, "edits: '%s' already shows a node of the disc",
				    op == 'R'	? b
				    : op == 'L' ? b
						: a);
	if (q <= 0)
		return q;
	return edits_log(e, diag, op, a, b, c, attr);
}

int eng_edits_delete(struct eng_edits *e, const char *disc, const char *path, struct bfs_diag *diag)
{
	int q = edits_writable(e, diag);

	if (q < 0)
		return q;
	if ((disc && !path_ok(disc, false)) || !path_ok(path, false))
		return bad_path(diag, "deleted", disc && !path_ok(disc, false) ? disc : path);
	return changed(e, edits_do_delete(e, disc, path), diag, 'D', disc, path, NULL, NULL);
}

int eng_edits_rename(struct eng_edits *e, const char *from, const char *to, const char *disc,
		     struct bfs_diag *diag)
{
	int q = edits_writable(e, diag);

	if (q < 0)
		return q;
	if (!path_ok(from, false) || !path_ok(to, false) || (disc && !path_ok(disc, false)))
		return bad_path(diag, "renamed",
				!path_ok(from, false) ? from
				: !path_ok(to, false) ? to
						      : disc);
	if (under(to, from, strlen(from)))
		return bfs_diag_set(diag, -EINVAL, "edits: '%s' cannot move under itself ('%s')",
				    from, to);
	return changed(e, edits_do_rename(e, from, to, disc), diag, 'R', from, to, disc, NULL);
}

int eng_edits_link(struct eng_edits *e, const char *disc, const char *path, struct bfs_diag *diag)
{
	int q = edits_writable(e, diag);

	if (q < 0)
		return q;
	if (!path_ok(disc, false) || !path_ok(path, false))
		return bad_path(diag, "linked", !path_ok(disc, false) ? disc : path);
	return changed(e, edits_do_link(e, disc, path), diag, 'L', disc, path, NULL, NULL);
}

int eng_edits_set_attr(struct eng_edits *e, const char *disc, const struct eng_attr *a,
		       struct bfs_diag *diag)
{
	int q = edits_writable(e, diag);

	if (q < 0)
		return q;
	if (!path_ok(disc, true))
		return bad_path(diag, "changed", disc);
	if (!a->mask)
		return 0;
	return changed(e, edits_do_attr(e, disc, a), diag, 'A', disc, NULL, NULL, a);
}

/* ---- queries ----------------------------------------------------------------------------- */

int eng_edits_origin(const struct eng_edits *e, const char *path, char **disc)
{
	*disc = NULL;
	if (!path_ok(path, true))
		return 0;
	return origin_of(e, path, false, disc);
}

bool eng_edits_in_place(const struct eng_edits *e, const char *disc)
{
	const struct edit_rec *r = rec_find(e, disc);

	return !r || (!r->deleted && !r->move);
}

const struct eng_attr *eng_edits_attr(const struct eng_edits *e, const char *disc)
{
	const struct edit_rec *r = rec_find(e, disc);

	return r && r->attr.mask ? &r->attr : NULL;
}

int eng_edits_foreach_in(const struct eng_edits *e, const char *dir, eng_edits_in_fn fn,
			 void *userdata)
{
	size_t dl = strlen(dir), plen = dl ? dl + 1 : 0, i;
	_cleanup_free_ char *key = join(dir, "", 0);

	if (!key)
		return -ENOMEM; /* "dir/", or "" for the root */
	i = tgt_lower(e, key);
	while (i < e->ntg && strncmp(e->tg[i].path, key, plen) == 0) {
		const char *name = e->tg[i].path + plen;
		const char *slash = strchr(name, '/');
		_cleanup_free_ char *skip = NULL;
		int q;

		if (!slash) {
			q = fn(name, e->tg[i].r->disc, userdata);
			if (q)
				return q;
			i++;
			continue;
		}
		/* a deeper target: past every one under that child ("child/" < x < "child0") */
		skip = strndup(e->tg[i].path, (size_t)(slash - e->tg[i].path) + 1);
		if (!skip)
			return -ENOMEM;
		skip[slash - e->tg[i].path] = '/' + 1;
		i = tgt_lower(e, skip);
	}
	return 0;
}

int eng_edits_foreach(const struct eng_edits *e, eng_edits_each_fn fn, void *userdata)
{
	_cleanup_free_ struct edit_rec **v = NULL;
	int q = edits_sorted(e, &v);

	for (size_t i = 0; q == 0 && i < e->nrecs; i++) {
		const struct edit_rec *r = v[i];

		if (r->deleted)
			q = fn("delete", r->disc, NULL, NULL, userdata);
		if (q == 0 && r->move)
			q = fn("move", r->disc, r->move, NULL, userdata);
		for (uint32_t k = 0; q == 0 && k < r->nlinks; k++)
			q = fn("link", r->disc, r->links[k], NULL, userdata);
		if (q == 0 && r->attr.mask)
			q = fn("attr", r->disc, NULL, &r->attr, userdata);
	}
	return q;
}

const char *eng_edits_disc_id(const struct eng_edits *e)
{
	return e->disc_id;
}

bool eng_edits_empty(const struct eng_edits *e)
{
	return e->live == 0;
}
