/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The staging mount's edits of the disc's tree: the model, its changes and its queries (the
 * resolution rule of engine/edits.h). The log that keeps them is edits-log.c.
 */
#include "engine/edits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edits-internal.h"

/* ---- records by disc path -------------------------------------------------------------- */

static struct edit_rec *rec_find(const struct eng_edits *e, const char *disc)
{
	const struct edits_ent *x = edits_map_find(&e->recs, disc);

	return x ? x->val : NULL;
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

/* The record of disc, made empty when there is none; NULL on -ENOMEM. */
static struct edit_rec *rec_get(struct eng_edits *e, const char *disc)
{
	struct edit_rec *r = rec_find(e, disc);

	if (r)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->disc = strdup(disc)) || edits_map_put(&e->recs, r->disc, r) < 0) {
		if (r)
			free(r->disc);
		free(r);
		return NULL;
	}
	return r;
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
	if (!rec_weight(r)) {
		edits_map_del(&e->recs, edits_map_find(&e->recs, r->disc));
		rec_free(r);
	}
}

/* ---- targets ----------------------------------------------------------------------------- */

static struct edit_rec *tgt_rec(const struct eng_edits *e, const char *path)
{
	const struct edits_ent *x = edits_map_find(&e->tgts, path);

	return x ? x->val : NULL;
}

/* The record's own string for its target path (its move, or one of its links). */
static char **rec_slot(struct edit_rec *r, const char *path)
{
	if (r->move == path)
		return &r->move;
	for (uint32_t k = 0; k < r->nlinks; k++)
		if (r->links[k] == path)
			return &r->links[k];
	abort(); /* every target is a string of its record */
}

/* The directories above path count one target more (delta 1) or less (-1). */
static int under_count(struct eng_edits *e, const char *path, int delta)
{
	_cleanup_free_ char *buf = strdup(path);
	char *slash = buf;

	if (!buf)
		return -ENOMEM;
	while ((slash = strchr(slash, '/'))) {
		struct edits_ent *x;
		char *key;

		*slash = '\0';
		x = edits_map_find(&e->under, buf);
		if (x && (uintptr_t)x->val + (uintptr_t)(intptr_t)delta == 0) {
			key = (char *)x->key;
			edits_map_del(&e->under, x);
			free(key);
		} else if (x) {
			x->val = (void *)((uintptr_t)x->val + (uintptr_t)(intptr_t)delta);
		} else if (delta > 0) {
			key = strdup(buf);
			if (!key || edits_map_put(&e->under, key, (void *)(uintptr_t)1) < 0) {
				free(key);
				(void)under_count(e, buf, -1); /* back: the directories above buf */
				return -ENOMEM;
			}
		}
		*slash++ = '/';
	}
	return 0;
}

/* How many targets lie below directory dir ("" the root). */
static size_t below(const struct eng_edits *e, const char *dir)
{
	const struct edits_ent *x = *dir ? edits_map_find(&e->under, dir) : NULL;

	return *dir ? (x ? (size_t)(uintptr_t)x->val : 0) : e->tgts.n;
}

/* path (r's own string) becomes a target of r. */
static int tgt_add(struct eng_edits *e, const char *path, struct edit_rec *r)
{
	int q = edits_map_put(&e->tgts, path, r);

	if (q < 0)
		return q;
	q = under_count(e, path, 1);
	if (q < 0) {
		edits_map_del(&e->tgts, edits_map_find(&e->tgts, path));
		return q;
	}
	e->tg_stale = true;
	return 0;
}

/* path (a target) is one no more; its string stays its record's. */
static void tgt_unlink(struct eng_edits *e, const char *path)
{
	(void)under_count(e, path, -1); /* counts only down: no allocation */
	edits_map_del(&e->tgts, edits_map_find(&e->tgts, path));
	e->tg_stale = true;
}

/* Drop target path (r's own string) and the string from r. */
static void tgt_drop(struct eng_edits *e, struct edit_rec *r, const char *path)
{
	char **s = rec_slot(r, path);

	tgt_unlink(e, path);
	free(*s);
	if (s == &r->move)
		r->move = NULL;
	else
		*s = r->links[--r->nlinks];
}

/* The key of target path (its record's string): the one to give tgt_drop. */
static const char *tgt_key(const struct eng_edits *e, const char *path)
{
	return edits_map_find(&e->tgts, path)->key;
}

static int tgt_cmp(const void *a, const void *b)
{
	return strcmp(((const struct edit_tgt *)a)->path, ((const struct edit_tgt *)b)->path);
}

/* The sorted array of the targets, built again after a change (a cache: e stays const). */
static int tgt_sorted(const struct eng_edits *ce)
{
	struct eng_edits *e = (struct eng_edits *)ce;
	size_t n = 0;

	if (!e->tg_stale)
		return 0;
	if (BFS_GROW(e->tg, e->tg_cap, e->tgts.n + 1) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < e->tgts.cap; i++)
		if (e->tgts.v[i].key)
			e->tg[n++] =
				(struct edit_tgt){.path = e->tgts.v[i].key, .r = e->tgts.v[i].val};
	qsort(e->tg, n, sizeof(*e->tg), tgt_cmp);
	e->ntg = n;
	e->tg_stale = false;
	return 0;
}

/* The first sorted target not below key. */
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
		const struct edit_rec *t = NULL;
		size_t end = at;
		char *next = NULL;
		bool own;

		while (end < len && buf[end] != '/')
			end++;
		own = !(end == len && skip_last);
		if (own) {
			char save = buf[end];

			buf[end] = '\0';
			t = tgt_rec(e, buf);
			buf[end] = save;
		}
		if (t || cur) {
			const struct edit_rec *r;

			next = t ? strdup(t->disc) : join(cur, buf + at, end - at);
			if (!next) {
				free(cur);
				return -ENOMEM;
			}
			r = !t && own ? rec_find(e, next) : NULL;
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
	if (!e->tgts.n && !e->recs.n) { /* nothing edited: every path is its own */
		*ret = TAKE_PTR(buf);
		return 0;
	}
	return resolve(e, buf, strlen(buf), skip_last, ret);
}

/*
 * Target path dropped when it names its node's home, where the rule shows it anyway: a MOVE
 * renamed back, or a LINK where its deleted node's own name was.
 */
static int home_drop(struct eng_edits *e, const char *path)
{
	struct edit_rec *r = tgt_rec(e, path);
	_cleanup_free_ char *home = NULL;
	const char *key;
	int q;

	if (!r)
		return 0;
	key = tgt_key(e, path);
	q = origin_of(e, path, true, &home);
	if (q < 0)
		return q;
	if (!home || strcmp(home, r->disc) != 0 || (r->move != key && !r->deleted))
		return 0;
	rec_begin(e, r);
	tgt_drop(e, r, key);
	r->deleted = false;
	rec_end(e, r);
	return 0;
}

/* ---- changes ----------------------------------------------------------------------------- */

/* 1 when something changed, 0 when nothing did, or -errno. */
int edits_do_delete(struct eng_edits *e, const char *disc, const char *path)
{
	struct edit_rec *r = tgt_rec(e, path);

	if (!disc)
		return 0; /* a staged node: nothing of the disc's goes */
	if (r && strcmp(r->disc, disc) == 0) {
		const char *key = tgt_key(e, path);

		rec_begin(e, r);
		if (r->move == key)
			r->deleted = true; /* not back at its old place either */
		tgt_drop(e, r, key);
		rec_end(e, r);
		return 1;
	}
	r = rec_get(e, disc);
	if (!r)
		return -ENOMEM;
	rec_begin(e, r);
	if (r->move) /* shown elsewhere than path: gone from there too */
		tgt_drop(e, r, r->move);
	r->deleted = true;
	rec_end(e, r);
	return 1;
}

static bool under(const char *path, const char *dir, size_t dl)
{
	return strncmp(path, dir, dl) == 0 && path[dl] == '/';
}

bool edits_under(const char *path, const char *dir)
{
	return under(path, dir, strlen(dir));
}

/* Target old (r's string) becomes p (taking it). */
static int tgt_move(struct eng_edits *e, struct edit_rec *r, const char *old, char *p)
{
	char **s = rec_slot(r, old);

	tgt_unlink(e, old);
	free(*s);
	*s = p;
	return tgt_add(e, p, r);
}

/* The targets under from/ renamed under to/; their new strings in moved[0..*n). */
static int rename_under(struct eng_edits *e, const char *from, const char *to, char ***moved,
			size_t *n)
{
	size_t fl = strlen(from), tl = strlen(to), i, k = 0, cnt = below(e, from);
	_cleanup_free_ char *key = join(from, "", 0);
	_cleanup_free_ struct edit_tgt *v = NULL;
	int q;

	*moved = NULL;
	*n = 0;
	if (!cnt)
		return 0; /* the common case: no look at the others */
	q = !key ? -ENOMEM : tgt_sorted(e);
	v = q == 0 ? malloc(cnt * sizeof(*v)) : NULL;
	*moved = v ? malloc(cnt * sizeof(**moved)) : NULL;
	if (!*moved)
		return -ENOMEM;
	for (i = tgt_lower(e, key); i < e->ntg && under(e->tg[i].path, from, fl) && k < cnt; i++)
		v[k++] = e->tg[i]; /* copied: moving them makes the sorted array stale */
	for (i = 0; i < k && q == 0; i++) {
		size_t rest = strlen(v[i].path) - fl;
		char *p = malloc(tl + rest + 1);

		if (!p)
			return -ENOMEM;
		memcpy(p, to, tl);
		memcpy(p + tl, v[i].path + fl, rest + 1);
		q = tgt_move(e, v[i].r, v[i].path, p);
		(*moved)[(*n)++] = p;
	}
	return q;
}

/* The renamed node's own target: its MOVE or LINK target moved, or a MOVE for it. */
static int rename_self(struct eng_edits *e, const char *from, const char *to, const char *disc,
		       bool *changed)
{
	struct edit_rec *r = tgt_rec(e, from);
	char *p = strdup(to);
	int q;

	if (!p)
		return -ENOMEM;
	if (r) {
		*changed = true;
		return tgt_move(e, r, tgt_key(e, from), p);
	}
	if (!disc) {
		free(p);
		return 0;
	}
	r = rec_get(e, disc);
	if (!r) {
		free(p);
		return -ENOMEM;
	}
	rec_begin(e, r);
	if (r->move)
		tgt_drop(e, r, r->move);
	r->move = p;
	q = tgt_add(e, p, r);
	if (q < 0) {
		free(p);
		r->move = NULL;
	}
	rec_end(e, r);
	*changed = q == 0;
	return q;
}

int edits_do_rename(struct eng_edits *e, const char *from, const char *to, const char *disc)
{
	size_t n = 0;
	bool changed = false;
	char **moved = NULL;
	int r;

	if (strcmp(from, to) == 0)
		return 0;
	if (tgt_rec(e, to) || below(e, to))
		return -EEXIST; /* the caller deletes what `to` held first */
	r = rename_under(e, from, to, &moved, &n);
	if (r == 0)
		r = rename_self(e, from, to, disc, &changed);
	if (r == 0 && changed)
		r = home_drop(e, to);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = home_drop(e, moved[i]);
	free(moved);
	return r < 0 ? r : n || changed;
}

int edits_do_link(struct eng_edits *e, const char *disc, const char *path)
{
	struct edit_rec *r;
	char *p;
	int q;

	if (tgt_rec(e, path))
		return -EEXIST;
	r = rec_get(e, disc);
	p = strdup(path);
	if (!r || !p || BFS_GROW(r->links, r->links_cap, r->nlinks + 1) < 0) {
		free(p);
		if (r) {
			rec_begin(e, r);
			rec_end(e, r); /* a record made for it goes again */
		}
		return -ENOMEM;
	}
	rec_begin(e, r);
	r->links[r->nlinks++] = p;
	q = tgt_add(e, p, r);
	if (q < 0)
		free(r->links[--r->nlinks]);
	rec_end(e, r);
	if (q == 0)
		q = home_drop(e, path);
	return q < 0 ? q : 1;
}
int edits_do_attr(struct eng_edits *e, const char *disc, const struct eng_attr *a)
{
	const unsigned known =
		ENG_ATTR_MODE | ENG_ATTR_UID | ENG_ATTR_GID | ENG_ATTR_MTIME | ENG_ATTR_ATIME;
	struct edit_rec *r;
	struct eng_attr *t;

	if (!(a->mask & known))
		return 0; /* nothing set: no record to make (nor to free at once) */
	r = rec_get(e, disc);
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
	t->mask |= a->mask & known;
	rec_end(e, r); /* r has an ATTR now: it stays */
	return 1;
}

int edits_do_set(struct eng_edits *e, char kind, const char *disc, const char *target)
{
	struct edit_rec *r;
	char *p = NULL;
	int q = 0;

	if (kind != 'x' && (!target || tgt_rec(e, target)))
		return -EEXIST;
	r = rec_get(e, disc);
	if (!r)
		return -ENOMEM;
	if ((kind == 'x' || kind == 'm') && (r->deleted || r->move))
		return -EEXIST; /* a compact log has one of each */
	if (kind != 'x' && (!(p = strdup(target)) ||
			    (kind == 'l' && BFS_GROW(r->links, r->links_cap, r->nlinks + 1) < 0)))
		q = -ENOMEM;
	rec_begin(e, r);
	if (q == 0 && kind == 'x')
		r->deleted = true;
	else if (q == 0 && kind == 'm')
		r->move = p;
	else if (q == 0)
		r->links[r->nlinks++] = p;
	if (q == 0 && p)
		q = tgt_add(e, p, r);
	if (q < 0 && p) {
		if (r->move == p)
			r->move = NULL;
		else if (r->nlinks && r->links[r->nlinks - 1] == p)
			r->nlinks--;
		free(p);
	}
	rec_end(e, r);
	return q;
}

void edits_clear(struct eng_edits *e)
{
	for (size_t i = 0; i < e->recs.cap; i++)
		if (e->recs.v[i].key)
			rec_free(e->recs.v[i].val);
	edits_map_done(&e->recs, false);
	edits_map_done(&e->tgts, false);
	edits_map_done(&e->under, true);
	free(e->tg);
	e->tg = NULL;
	e->ntg = e->tg_cap = e->live = 0;
	e->tg_stale = false;
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
	if (!e->recs.n)
		return 0;
	v = malloc(e->recs.n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < e->recs.cap; i++)
		if (e->recs.v[i].key)
			v[n++] = e->recs.v[i].val;
	qsort(v, n, sizeof(*v), rec_cmp);
	*ret = v;
	return 0;
}

/* ---- the public changes: checked, made, logged ------------------------------------------ */

/* A merged or disc path: "a/b", components neither empty nor "." nor "..". */
bool edits_path_ok(const char *p, bool root_ok)
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
	if ((disc && !edits_path_ok(disc, false)) || !edits_path_ok(path, false))
		return bad_path(diag, "deleted", disc && !edits_path_ok(disc, false) ? disc : path);
	return changed(e, edits_do_delete(e, disc, path), diag, 'D', disc, path, NULL, NULL);
}

int eng_edits_rename(struct eng_edits *e, const char *from, const char *to, const char *disc,
		     struct bfs_diag *diag)
{
	int q = edits_writable(e, diag);

	if (q < 0)
		return q;
	if (!edits_path_ok(from, false) || !edits_path_ok(to, false) ||
	    (disc && !edits_path_ok(disc, false)))
		return bad_path(diag, "renamed",
				!edits_path_ok(from, false) ? from
				: !edits_path_ok(to, false) ? to
							    : disc);
	if (edits_under(to, from))
		return bfs_diag_set(diag, -EINVAL, "edits: '%s' cannot move under itself ('%s')",
				    from, to);
	return changed(e, edits_do_rename(e, from, to, disc), diag, 'R', from, to, disc, NULL);
}

int eng_edits_link(struct eng_edits *e, const char *disc, const char *path, struct bfs_diag *diag)
{
	int q = edits_writable(e, diag);

	if (q < 0)
		return q;
	if (!edits_path_ok(disc, false) || !edits_path_ok(path, false))
		return bad_path(diag, "linked", !edits_path_ok(disc, false) ? disc : path);
	return changed(e, edits_do_link(e, disc, path), diag, 'L', disc, path, NULL, NULL);
}

int eng_edits_set_attr(struct eng_edits *e, const char *disc, const struct eng_attr *a,
		       struct bfs_diag *diag)
{
	int q = edits_writable(e, diag);

	if (q < 0)
		return q;
	if (!edits_path_ok(disc, true))
		return bad_path(diag, "changed", disc);
	if (!a->mask)
		return 0;
	return changed(e, edits_do_attr(e, disc, a), diag, 'A', disc, NULL, NULL, a);
}

/* ---- queries ----------------------------------------------------------------------------- */

int eng_edits_origin(const struct eng_edits *e, const char *path, char **disc)
{
	*disc = NULL;
	if (!edits_path_ok(path, true))
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
	_cleanup_free_ char *key = NULL;
	int q;

	if (!below(e, dir))
		return 0;	/* no target in dir: no look at the others */
	key = join(dir, "", 0); /* "dir/", or "" for the root */
	q = key ? tgt_sorted(e) : -ENOMEM;
	if (q < 0)
		return q;
	i = tgt_lower(e, key);
	while (i < e->ntg && strncmp(e->tg[i].path, key, plen) == 0) {
		const char *name = e->tg[i].path + plen;
		const char *slash = strchr(name, '/');
		_cleanup_free_ char *skip = NULL;

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

	for (size_t i = 0; q == 0 && i < e->recs.n; i++) {
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
