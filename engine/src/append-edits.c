/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The staging mount's edits (engine/edits.h) applied to the disc's tree an append reads back
 * (engine/append.h): before the graft, each record's node is found by its disc path (one the
 * tree lacks means the disc changed since the edits were made: the commit stops), ATTRs set,
 * LINK sources cloned (the clone joins the source's hard-link group: finalize makes the
 * group, BFS_NODE_PRIOR keeps the data where it is), MOVE sources detached and renamed,
 * DELETEs detached and freed; after the graft, the MOVE and LINK nodes go to their targets,
 * whose directory may be a staged one. See append-internal.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "append-internal.h"
#include "engine/edits.h"

/* The dev of disc files that became a hard-link group through a LINK (their own inos). */
#define LINKED_DEV (ENG_APPEND_DEV | 1u)

struct edit_item {
	char kind; /* 'd'elete, 'm'ove, 'l'ink, 'a'ttr */
	const char *disc, *target;
	const struct eng_attr *attr;
	struct bfs_node *node; /* at disc, in the tree read back; the MOVE/LINK node to place */
	char *final;	       /* an ATTR of a directory: its path in the merged tree */
};

static int item_add(const char *kind, const char *disc, const char *target,
		    const struct eng_attr *attr, void *userdata)
{
	struct merge *m = userdata;

	if (BFS_GROW(m->items, m->items_cap, m->nitems + 1) < 0)
		return -ENOMEM;
	m->items[m->nitems++] =
		(struct edit_item){.kind = kind[0], .disc = disc, .target = target, .attr = attr};
	return 0;
}

void append_edits_done(struct merge *m)
{
	for (size_t i = 0; i < m->nitems; i++) {
		if ((m->items[i].kind == 'm' || m->items[i].kind == 'l') && m->items[i].node &&
		    !m->items[i].node->parent)
			bfs_node_free(m->items[i].node); /* detached or cloned, never placed */
		free(m->items[i].final);
	}
	free(m->items);
	free(m->staged);
}

/* The node at path ("" the root, "a/b") under dir, or NULL. */
static struct bfs_node *node_at(struct bfs_node *dir, const char *path)
{
	while (dir && *path) {
		size_t n = strcspn(path, "/");

		if (dir->type != BFS_NODE_DIR)
			return NULL;
		dir = bfs_node_find_child(dir, path, n);
		path += n + (path[n] == '/');
	}
	return dir;
}

static struct kept_sha *kept_of(struct eng_append *a, const struct bfs_node *n)
{
	struct kept_sha key = {.node = n};

	return a->nsha ? bsearch(&key, a->sha, a->nsha, sizeof(key), append_sha_cmp) : NULL;
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Each record's node, by its disc path; the records a tree cannot take refused. */
static int items_find(struct merge *m, struct bfs_node *oroot)
{
	for (size_t i = 0; i < m->nitems; i++) {
		struct edit_item *it = &m->items[i];

		it->node = node_at(oroot, it->disc);
		if (!it->node)
			return bfs_diag_set(m->diag, -ENOENT,
					    "the staged changes name '/%s', which session %u does "
					    "not hold: the disc changed since they were made "
					    "(remedy: discard them, or put back the disc they were "
					    "made on)",
					    it->disc, m->a->info.session);
		if (it->kind != 'a' && !*it->disc)
			return bfs_diag_set(m->diag, -EINVAL,
					    "the staged changes %s the disc's root directory",
					    it->kind == 'd' ? "delete" : "move or link");
		if (it->kind == 'l' && it->node->type != BFS_NODE_FILE)
			return bfs_diag_set(m->diag, -EINVAL,
					    "the staged changes link '/%s' on the disc, which is "
					    "not a regular file",
					    it->disc);
	}
	return 0;
}

static void attr_set(struct bfs_node *n, const struct eng_attr *t)
{
	if (t->mask & ENG_ATTR_MODE)
		n->mode = t->mode & 07777;
	if (t->mask & ENG_ATTR_UID)
		n->uid = t->uid;
	if (t->mask & ENG_ATTR_GID)
		n->gid = t->gid;
	if (t->mask & ENG_ATTR_MTIME)
		n->mtime = t->mtime;
	if (t->mask & ENG_ATTR_ATIME)
		n->atime = t->atime;
}

static void attr_apply(struct merge *m, struct edit_item *it)
{
	struct bfs_node *n = it->node;
	struct kept_sha *k;

	attr_set(n, it->attr);
	k = n->flags & BFS_NODE_PRIOR ? kept_of(m->a, n) : NULL;
	if (k)
		k->fresh = true; /* its UDF entry holds the old attributes: a new one */
	m->a->info.attr_changed++;
}

/* The ATTR'd files of hard-link groups, by (src_dev, src_ino). */
struct group_attr {
	uint64_t dev, ino;
	const struct bfs_node *from; /* the node that has the attributes */
};

static int group_cmp(const void *a, const void *b)
{
	const struct group_attr *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

struct group_walk {
	struct merge *m;
	struct group_attr *v;
	size_t n;
};

static int group_visit(struct bfs_node *n, void *userdata)
{
	struct group_walk *w = userdata;
	struct group_attr key = {.dev = n->src_dev, .ino = n->src_ino}, *g;
	struct kept_sha *k;

	if (n->type != BFS_NODE_FILE || (!n->src_dev && !n->src_ino))
		return 0;
	g = bsearch(&key, w->v, w->n, sizeof(key), group_cmp);
	if (!g || g->from == n)
		return 0;
	n->mode = g->from->mode;
	n->uid = g->from->uid;
	n->gid = g->from->gid;
	n->mtime = g->from->mtime;
	n->atime = g->from->atime;
	k = n->flags & BFS_NODE_PRIOR ? kept_of(w->m->a, n) : NULL;
	if (k)
		k->fresh = true;
	return 0;
}

/*
 * An ATTR of one name of a file the disc holds under several: every name's attributes, as
 * they are one file's (the mount shows them so; the UDF entry they share is written again).
 */
static int groups_attr(struct merge *m, struct bfs_node *oroot)
{
	_cleanup_free_ struct group_attr *v = calloc(m->nitems ? m->nitems : 1, sizeof(*v));
	struct group_walk w = {.m = m, .v = v};

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->nitems; i++) {
		const struct bfs_node *n = m->items[i].node;

		if (m->items[i].kind == 'a' && n->type == BFS_NODE_FILE &&
		    (n->src_dev || n->src_ino))
			v[w.n++] = (struct group_attr){
				.dev = n->src_dev, .ino = n->src_ino, .from = n};
	}
	if (!w.n)
		return 0;
	qsort(v, w.n, sizeof(*v), group_cmp);
	return bfs_node_walk(oroot, group_visit, &w);
}

/* A new node of that name with o's fields: o's data, its hard-link group. */
static struct bfs_node *node_clone(const struct bfs_node *o, const char *name)
{
	struct bfs_node *n = bfs_node_new(name, strlen(name), o->type);

	if (!n)
		return NULL;
	n->size = o->size;
	n->src_dev = o->src_dev;
	n->src_ino = o->src_ino;
	n->data_lba = o->data_lba;
	n->mtime = o->mtime;
	n->atime = o->atime;
	n->ctime = o->ctime;
	n->src_mtime = o->src_mtime;
	n->mode = o->mode;
	n->uid = o->uid;
	n->gid = o->gid;
	n->flags = o->flags;
	if (o->src_path && !(n->src_path = strdup(o->src_path)))
		return bfs_node_free(n);
	return n;
}

/* The clone's own kept entry (the manifest's hash, the UDF entry), appended. */
static int kept_clone(struct merge *m, const struct bfs_node *o, struct bfs_node *n,
		      struct kept_sha *more, size_t *nmore)
{
	struct kept_sha *k = o->flags & BFS_NODE_PRIOR ? kept_of(m->a, o) : NULL;

	if (!k)
		return 0;
	more[*nmore] = *k;
	more[*nmore].node = n;
	more[*nmore].disc = k->disc ? strdup(k->disc) : NULL;
	if (k->disc && !more[*nmore].disc)
		return -ENOMEM;
	(*nmore)++;
	return 0;
}

static int link_clone(struct merge *m, struct edit_item *it, struct kept_sha *more, size_t *nmore)
{
	struct bfs_node *o = it->node;

	if (!o->src_dev && !o->src_ino) { /* one name on the disc: a group of its own now */
		o->src_dev = LINKED_DEV;
		o->src_ino = ++m->linked_ino;
	}
	it->node = node_clone(o, base_of(it->target));
	if (!it->node)
		return -ENOMEM;
	m->a->info.linked++;
	m->a->info.nodes++;
	if (o->src_path)
		m->a->info.copied++;
	return kept_clone(m, o, it->node, more, nmore);
}

/* Drop the kept entries of the files under n (deleted), and count its nodes out. */
static int dead_mark(struct bfs_node *n, void *userdata)
{
	struct merge *m = userdata;
	struct kept_sha *k = n->flags & BFS_NODE_PRIOR ? kept_of(m->a, n) : NULL;

	if (k)
		k->dead = true;
	m->a->info.nodes--;
	return 0;
}

/* o renamed: a node of the new name takes its fields and children (a name is part of it). */
static struct bfs_node *node_rename(struct bfs_node *o, const char *name)
{
	struct bfs_node *n;
	char *nm;
	uint32_t nl;

	if (strcmp(o->name, name) == 0)
		return o;
	n = bfs_node_new(name, strlen(name), o->type);
	if (!n)
		return NULL;
	nm = n->name;
	nl = n->name_len;
	*n = *o;
	n->name = nm;
	n->name_len = nl;
	n->parent = NULL;
	for (uint32_t i = 0; i < n->nchildren; i++)
		n->children[i]->parent = n;
	*o = (struct bfs_node){.name = o->name, .type = o->type};
	bfs_node_free(o);
	return n;
}

/* The kept entries: those of deleted files out, the clones' in (sorted again later). */
static int kept_update(struct eng_append *a, struct kept_sha *more, size_t nmore)
{
	size_t o = 0;

	for (size_t i = 0; i < a->nsha; i++) {
		if (a->sha[i].dead)
			free(a->sha[i].disc);
		else
			a->sha[o++] = a->sha[i];
	}
	a->nsha = o;
	if (BFS_GROW(a->sha, a->sha_cap, a->nsha + nmore) < 0)
		return -ENOMEM;
	memcpy(a->sha + a->nsha, more, nmore * sizeof(*more));
	a->nsha += nmore;
	return 0;
}

/* DELETEs detached (after the MOVEs: what moved out stays), marked, then freed, each once. */
static void deletes_apply(struct merge *m)
{
	for (size_t i = 0; i < m->nitems; i++)
		if (m->items[i].kind == 'd')
			(void)bfs_node_detach(m->items[i].node);
	for (size_t i = 0; i < m->nitems; i++)
		if (m->items[i].kind == 'd') {
			(void)bfs_node_walk(m->items[i].node, dead_mark, m);
			m->a->info.deleted++;
		}
	for (size_t i = 0; i < m->nitems; i++)
		if (m->items[i].kind == 'd')
			m->items[i].node = bfs_node_free(m->items[i].node);
}

/* MOVE sources out of the tree under their new names; their kept entries follow. */
static int moves_detach(struct merge *m)
{
	_cleanup_free_ struct kept_sha **k = calloc(m->nitems, sizeof(*k));

	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < m->nitems; i++) /* searched before any entry changes */
		if (m->items[i].kind == 'm' && m->items[i].node->flags & BFS_NODE_PRIOR)
			k[i] = kept_of(m->a, m->items[i].node);
	for (size_t i = 0; i < m->nitems; i++) {
		struct edit_item *it = &m->items[i];
		struct bfs_node *n;

		if (it->kind != 'm')
			continue;
		n = node_rename(bfs_node_detach(it->node), base_of(it->target));
		if (!n)
			return -ENOMEM; /* it->node, not renamed, is freed with the others */
		it->node = n;
		if (k[i])
			k[i]->node = n; /* the array is sorted again before its next search */
		m->a->info.moved++;
	}
	return 0;
}

/* The DELETE and MOVE records by node address. */
struct by_node {
	const struct bfs_node *node;
	const struct edit_item *it;
};

static int by_node_cmp(const void *a, const void *b)
{
	const struct by_node *x = a, *y = b;

	return x->node < y->node ? -1 : x->node > y->node;
}

static const struct edit_item *item_of(const struct by_node *v, size_t n,
				       const struct bfs_node *node)
{
	struct by_node key = {.node = node};
	const struct by_node *b = n ? bsearch(&key, v, n, sizeof(key), by_node_cmp) : NULL;

	return b ? b->it : NULL;
}

/*
 * Where an ATTR's directory will be in the merged tree (MOVE sources detached, not yet
 * renamed; DELETEs not yet done): its path under the disc's root or under its moved
 * ancestor's target; NULL when it is deleted. The graft merges a directory that is staged
 * too into the staged one, whose attributes it keeps: the ATTR is set there again after.
 */
static int final_path(const struct by_node *v, size_t nv, struct bfs_node *oroot,
		      struct edit_item *it)
{
	_cleanup_free_ char *rel = strdup("");
	struct bfs_node *n = it->node;
	const struct edit_item *mv = NULL;

	if (!rel)
		return -ENOMEM;
	for (; n != oroot; n = n->parent) {
		char *p;

		mv = item_of(v, nv, n);
		if ((mv && mv->kind == 'd') || (!mv && !n->parent))
			return 0; /* deleted with n (or a tree that is not oroot's) */
		if (asprintf(&p, "%s%s%s", mv ? mv->target : n->name, *rel ? "/" : "", rel) < 0)
			return -ENOMEM;
		free(rel);
		rel = p;
		if (mv)
			break;
	}
	it->final = TAKE_PTR(rel);
	return 0;
}

static int finals_note(struct merge *m, struct bfs_node *oroot)
{
	_cleanup_free_ struct by_node *v = calloc(m->nitems, sizeof(*v));
	size_t nv = 0;
	int r = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->nitems; i++)
		if (m->items[i].kind == 'd' || m->items[i].kind == 'm')
			v[nv++] = (struct by_node){.node = m->items[i].node, .it = &m->items[i]};
	qsort(v, nv, sizeof(*v), by_node_cmp);
	for (size_t i = 0; i < m->nitems && r == 0; i++)
		if (m->items[i].kind == 'a' && m->items[i].node->type == BFS_NODE_DIR)
			r = final_path(v, nv, oroot, &m->items[i]);
	return r;
}

int append_edits_before(struct merge *m, struct bfs_node *oroot)
{
	_cleanup_free_ struct kept_sha *more = NULL;
	size_t nmore = 0;
	int r;

	if (!m->edits || eng_edits_empty(m->edits))
		return 0;
	r = eng_edits_foreach(m->edits, item_add, m);
	if (r == 0)
		r = items_find(m, oroot);
	m->edits_failed = r < 0 && r != -ENOMEM;
	if (r < 0)
		return r;
	if (m->a->nsha)
		qsort(m->a->sha, m->a->nsha, sizeof(*m->a->sha), append_sha_cmp);
	more = calloc(m->nitems ? m->nitems : 1, sizeof(*more));
	if (!more)
		return -ENOMEM;
	/* attributes first: a clone takes its source's, as the names of one file share them */
	for (size_t i = 0; i < m->nitems; i++)
		if (m->items[i].kind == 'a')
			attr_apply(m, &m->items[i]);
	r = groups_attr(m, oroot);
	for (size_t i = 0; i < m->nitems && r == 0; i++)
		if (m->items[i].kind == 'l')
			r = link_clone(m, &m->items[i], more, &nmore);
	/* detached first, so that a deleted directory's moved-out nodes stay */
	for (size_t i = 0; i < m->nitems && r == 0; i++)
		if (m->items[i].kind == 'm')
			(void)bfs_node_detach(m->items[i].node);
	if (r == 0)
		r = finals_note(m, oroot);
	if (r == 0)
		deletes_apply(m);
	if (r == 0)
		r = moves_detach(m);
	if (r == 0)
		r = kept_update(m->a, more, nmore);
	return r;
}

static int ptr_cmp(const void *a, const void *b)
{
	const void *x = *(const void *const *)a, *y = *(const void *const *)b;

	return x < y ? -1 : x > y;
}

static int staged_add(struct bfs_node *n, void *userdata)
{
	struct merge *m = userdata;

	if (BFS_GROW(m->staged, m->staged_cap, m->nstaged + 1) < 0)
		return -ENOMEM;
	m->staged[m->nstaged++] = n;
	return 0;
}

/* The staged tree's nodes, before the graft mixes the disc's in: which is which later. */
int append_edits_staged(struct merge *m, struct bfs_node *root)
{
	bool any = false;
	int r;

	for (size_t i = 0; i < m->nitems; i++)
		any |= m->items[i].kind == 'm' || m->items[i].kind == 'l';
	if (!any)
		return 0;
	r = bfs_node_walk(root, staged_add, m);
	if (r == 0)
		qsort(m->staged, m->nstaged, sizeof(*m->staged), ptr_cmp);
	return r;
}

static bool is_staged(const struct merge *m, const struct bfs_node *n)
{
	return bsearch(&n, m->staged, m->nstaged, sizeof(*m->staged), ptr_cmp) != NULL;
}

static int target_cmp(const void *a, const void *b)
{
	const struct edit_item *x = a, *y = b;
	bool px = x->kind == 'm' || x->kind == 'l', py = y->kind == 'm' || y->kind == 'l';

	if (px != py)
		return px ? -1 : 1;
	return px ? strcmp(x->target, y->target) : 0;
}

/*
 * One MOVE or LINK node at its target. What a staged node holds there shadows it, as a new
 * source shadows the disc's node at its path (directories merge); a node of the disc there
 * means the edits do not fit the tree.
 */
static int place(struct merge *m, struct bfs_node *root, struct edit_item *it)
{
	_cleanup_free_ char *dir = strndup(it->target, (size_t)(base_of(it->target) - it->target));
	struct bfs_node *p, *e;
	int r;

	if (!dir)
		return -ENOMEM;
	if (*dir)
		dir[strlen(dir) - 1] = '\0';
	p = node_at(root, dir);
	if (!p || p->type != BFS_NODE_DIR)
		return bfs_diag_set(m->diag, -ENOENT,
				    "the staged changes put the disc's '/%s' at '/%s', whose "
				    "directory '/%s' is not in the new tree",
				    it->disc, it->target, dir);
	e = bfs_node_find_child(p, it->node->name, it->node->name_len);
	if (!e) {
		r = bfs_node_add_child(p, it->node);
		if (r == 0)
			it->node = NULL;
		return r;
	}
	if (!is_staged(m, e))
		return bfs_diag_set(m->diag, -EEXIST,
				    "the staged changes put the disc's '/%s' at '/%s', where the "
				    "disc's tree has a node already",
				    it->disc, it->target);
	if (e->type == BFS_NODE_DIR && it->node->type == BFS_NODE_DIR)
		return append_graft(m->a, e, it->node,
				    m->diag); /* it->node, emptied, freed later */
	bfs_diag_warn(m->diag, "'/%s' replaces the disc's '/%s' %s there", it->target, it->disc,
		      it->kind == 'm' ? "moved" : "linked");
	m->a->info.replaced++;
	return 0;
}

int append_edits_after(struct merge *m, struct bfs_node *root)
{
	int r = 0;

	if (!m->nitems)
		return 0;
	/* the MOVE and LINK nodes first, by target: a directory before what goes into it */
	qsort(m->items, m->nitems, sizeof(*m->items), target_cmp);
	for (size_t i = 0; i < m->nitems && r == 0; i++)
		if (m->items[i].kind == 'm' || m->items[i].kind == 'l')
			r = place(m, root, &m->items[i]);
	m->edits_failed = r < 0 && r != -ENOMEM;
	for (size_t i = 0; i < m->nitems && r == 0; i++) {
		struct bfs_node *n = m->items[i].final ? node_at(root, m->items[i].final) : NULL;

		if (n && n->type == BFS_NODE_DIR)
			attr_set(n, m->items[i].attr); /* a directory merged into a staged one */
	}
	return r;
}
