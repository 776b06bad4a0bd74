/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "common/tree.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/extent.h"

struct bfs_node *bfs_node_new(const char *name, size_t name_len, enum bfs_node_type type)
{
	struct bfs_node *n;

	/* one allocation for the node and its name */
	if (name_len > UINT32_MAX)
		return NULL;
	n = calloc(1, sizeof(*n) + name_len + 1);
	if (!n)
		return NULL;
	n->name = (char *)(n + 1);
	memcpy(n->name, name, name_len);
	n->name[name_len] = '\0';
	n->name_len = name_len;
	n->type = type;
	n->nlink = 1;
	return n;
}

struct bfs_node *bfs_node_free(struct bfs_node *root)
{
	struct bfs_node *n = root;

	if (!root)
		return NULL;
	if (root->parent)
		(void)bfs_node_detach(root);
	/* iterative post-order: descend to a leaf, free it, continue with its parent */
	while (n) {
		struct bfs_node *parent;

		if (n->nchildren) {
			n = n->children[--n->nchildren];
			continue;
		}
		parent = n == root ? NULL : n->parent;
		free(n->children);
		free(n->target);
		free(n->src_path);
		free(n->sections);
		free(n);
		n = parent;
	}
	return NULL;
}

int bfs_node_set_sections(struct bfs_node *n, const struct bfs_section *v, size_t count)
{
	uint64_t blocks = 0, next_new = 0;
	struct bfs_section *copy = NULL;

	if (n->type != BFS_NODE_FILE || (count && n->size == 0))
		return -EINVAL;
	if (count > BFS_SECTIONS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < count; i++) {
		if (v[i].blocks == 0 || (v[i].is_new && v[i].lba != next_new))
			return -EINVAL;
		if (v[i].is_new)
			next_new += v[i].blocks;
		blocks += v[i].blocks;
	}
	if (count && blocks != BFS_DIV_ROUND_UP(n->size, BFS_BLOCK_SIZE))
		return -EINVAL;
	if (count) {
		copy = malloc(count * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, v, count * sizeof(*copy));
	}
	free(n->sections);
	n->sections = copy;
	n->nsections = (uint32_t)count;
	return 0;
}

void bfs_node_section(const struct bfs_node *n, size_t i, uint64_t *lba, uint64_t *bytes)
{
	const struct bfs_section *s = &n->sections[i];

	*lba = s->is_new ? n->data_lba + s->lba : s->lba;
	*bytes = s->blocks * BFS_BLOCK_SIZE;
	if (i + 1 == n->nsections) /* the last one: the rest of the size */
		*bytes = n->size -
			 (BFS_DIV_ROUND_UP(n->size, BFS_BLOCK_SIZE) - s->blocks) * BFS_BLOCK_SIZE;
}

uint64_t bfs_node_new_bytes(const struct bfs_node *n)
{
	uint64_t bytes = 0;

	if (!n->nsections)
		return n->size;
	for (size_t i = 0; i < n->nsections; i++) {
		uint64_t lba, b;

		if (!n->sections[i].is_new)
			continue;
		bfs_node_section(n, i, &lba, &b);
		bytes += b;
	}
	return bytes;
}

int bfs_node_name_cmp(const struct bfs_node *a, const struct bfs_node *b)
{
	size_t l = BFS_MIN(a->name_len, b->name_len);
	int c = memcmp(a->name, b->name, l);

	if (c)
		return c;
	return a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
}

/* index of the first child not less than key; *found set when equal */
static size_t child_lower_bound(const struct bfs_node *dir, const struct bfs_node *key, int *found)
{
	size_t lo = 0, hi = dir->nchildren;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = bfs_node_name_cmp(dir->children[mid], key);

		if (c < 0)
			lo = mid + 1;
		else {
			if (c == 0)
				*found = 1;
			hi = mid;
		}
	}
	return lo;
}

int bfs_node_add_child(struct bfs_node *dir, struct bfs_node *child)
{
	int found;
	size_t i;

	if (dir->type != BFS_NODE_DIR)
		return -ENOTDIR;
	i = child_lower_bound(dir, child, &found);
	if (found)
		return -EEXIST;
	if (dir->nchildren == dir->children_cap) {
		uint32_t ncap;
		struct bfs_node **p;

		if (dir->children_cap >= UINT32_MAX / 2)
			return -EMLINK;
		ncap = dir->children_cap ? dir->children_cap * 2 : 4;
		p = reallocarray(dir->children, ncap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		dir->children = p;
		dir->children_cap = ncap;
	}
	memmove(dir->children + i + 1, dir->children + i,
		(dir->nchildren - i) * sizeof(*dir->children));
	dir->children[i] = child;
	dir->nchildren++;
	child->parent = dir;
	return 0;
}

struct bfs_node *bfs_node_find_child(const struct bfs_node *dir, const char *name, size_t name_len)
{
	struct bfs_node key = {.name = (char *)name, .name_len = name_len};
	int found;
	size_t i = child_lower_bound(dir, &key, &found);

	return found ? dir->children[i] : NULL;
}

struct bfs_node *bfs_node_detach(struct bfs_node *child)
{
	struct bfs_node *dir = child->parent;
	size_t i;

	if (!dir)
		return child;
	for (i = 0; i < dir->nchildren; i++)
		if (dir->children[i] == child)
			break;
	if (i < dir->nchildren) {
		memmove(dir->children + i, dir->children + i + 1,
			(dir->nchildren - i - 1) * sizeof(*dir->children));
		dir->nchildren--;
	}
	child->parent = NULL;
	return child;
}

unsigned bfs_node_depth(const struct bfs_node *n)
{
	unsigned d = 0;

	for (; n->parent; n = n->parent)
		d++;
	return d;
}

char *bfs_node_path(const struct bfs_node *n)
{
	const struct bfs_node *p;
	size_t len = 0;
	char *s, *end;

	if (!n->parent)
		return strdup("/");
	for (p = n; p->parent; p = p->parent)
		len += p->name_len + 1;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	end = s + len;
	*end = '\0';
	for (p = n; p->parent; p = p->parent) {
		end -= p->name_len;
		memcpy(end, p->name, p->name_len);
		*--end = '/';
	}
	return s;
}

int bfs_node_walk(struct bfs_node *root, bfs_node_visit_fn fn, void *userdata)
{
	struct bfs_node *n = root;
	int r;

	/* pre-order without a stack: go down to the first child, else to the next sibling
	 * of the nearest ancestor that has one */
	while (n) {
		r = fn(n, userdata);
		if (r)
			return r;
		if (n->type == BFS_NODE_DIR && n->nchildren) {
			n = n->children[0];
			continue;
		}
		for (;;) {
			struct bfs_node *parent = n->parent;
			size_t i;
			int found;

			if (n == root || !parent) {
				n = NULL;
				break;
			}
			i = child_lower_bound(parent, n, &found);
			if (i + 1 < parent->nchildren) {
				n = parent->children[i + 1];
				break;
			}
			n = parent;
		}
	}
	return 0;
}

struct link_key {
	uint64_t dev, ino;
	struct bfs_node *node;
};

static int link_key_cmp(const void *a, const void *b)
{
	const struct link_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	/* tree order (inode numbers are pre-order at this point) keeps the first as primary */
	return x->node->ino < y->node->ino ? -1 : x->node->ino > y->node->ino;
}

struct finalize_ctx {
	uint64_t next_ino;
	struct link_key *keys;
	size_t nkeys, keys_cap;
	int err;
};

static int finalize_visit(struct bfs_node *n, void *userdata)
{
	struct finalize_ctx *c = userdata;
	size_t i;

	n->ino = c->next_ino++;
	n->link_primary = NULL;
	if (n->type == BFS_NODE_DIR) {
		uint32_t sub = 0;

		for (i = 0; i < n->nchildren; i++)
			sub += n->children[i]->type == BFS_NODE_DIR;
		n->nlink = 2 + sub;
		if (n->children_cap > n->nchildren && n->nchildren) {
			/* the tree is complete: give back the growth slack */
			struct bfs_node **p =
				realloc(n->children, n->nchildren * sizeof(*n->children));

			if (p) {
				n->children = p;
				n->children_cap = n->nchildren;
			}
		}
	} else {
		n->nlink = 1;
	}
	if (n->type == BFS_NODE_FILE && (n->src_dev || n->src_ino)) {
		int r = BFS_GROW(c->keys, c->keys_cap, c->nkeys + 1);

		if (r < 0)
			return r;
		c->keys[c->nkeys++] =
			(struct link_key){.dev = n->src_dev, .ino = n->src_ino, .node = n};
	}
	return 0;
}

int bfs_tree_finalize(struct bfs_node *root)
{
	struct finalize_ctx c = {.next_ino = 1};
	size_t i, j;
	int r;

	r = bfs_node_walk(root, finalize_visit, &c);
	if (r < 0) {
		free(c.keys);
		return r;
	}
	if (c.nkeys)
		qsort(c.keys, c.nkeys, sizeof(*c.keys), link_key_cmp);
	for (i = 0; i < c.nkeys; i = j) {
		for (j = i + 1; j < c.nkeys && c.keys[j].dev == c.keys[i].dev &&
				c.keys[j].ino == c.keys[i].ino;
		     j++)
			c.keys[j].node->link_primary = c.keys[i].node;
		for (size_t k = i; k < j; k++)
			c.keys[k].node->nlink = (uint32_t)(j - i);
	}
	free(c.keys);
	return 0;
}

static int stats_visit(struct bfs_node *n, void *userdata)
{
	struct bfs_tree_stats *s = userdata;
	unsigned d;

	switch (n->type) {
	case BFS_NODE_DIR:
		s->dirs++;
		break;
	case BFS_NODE_FILE:
		s->files++;
		if (!n->link_primary)
			s->data_bytes += n->size;
		break;
	case BFS_NODE_SYMLINK:
		s->symlinks++;
		break;
	default:
		s->specials++;
		break;
	}
	d = bfs_node_depth(n);
	if (d > s->max_depth)
		s->max_depth = d;
	return 0;
}

void bfs_tree_stats(struct bfs_node *root, struct bfs_tree_stats *ret)
{
	*ret = (struct bfs_tree_stats){0};
	(void)bfs_node_walk(root, stats_visit, ret);
}

int bfs_node_src_path(const struct bfs_node *n, char *buf, size_t cap)
{
	const char *dir;
	size_t dl;
	bool slash;

	if (n->src_path) {
		dl = strlen(n->src_path);
		if (dl >= cap)
			return -ENAMETOOLONG;
		memcpy(buf, n->src_path, dl + 1);
		return (int)dl;
	}
	if (!n->parent || !n->parent->src_path)
		return -ENOENT;
	dir = n->parent->src_path;
	dl = strlen(dir);
	slash = dl && dir[dl - 1] != '/';
	if (dl + slash + n->name_len >= cap)
		return -ENAMETOOLONG;
	memcpy(buf, dir, dl);
	if (slash)
		buf[dl++] = '/';
	memcpy(buf + dl, n->name, n->name_len + 1);
	return (int)(dl + n->name_len);
}
