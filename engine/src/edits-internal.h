/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inside of the staging mount's edits (engine/edits.h), shared by edits.c (the model and
 * its queries) and edits-log.c (the log that keeps them).
 *
 * A record per disc path that carries an edit, in a hash table by that path; the targets of
 * MOVEs and LINKs (merged paths) in another, with the number of targets below each
 * directory in a third (a directory without any needs no more look); the targets under a
 * directory that has some are one range of an array sorted by bytes, built when asked for
 * after a change (a rename of the directory moves them; readdir lists its own).
 */
#ifndef BFS_ENGINE_EDITS_INTERNAL_H
#define BFS_ENGINE_EDITS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/edits.h"

struct edit_rec {
	char *disc;   /* the key: the node's path in the disc's last session */
	char *move;   /* MOVE target, or NULL */
	char **links; /* LINK targets */
	size_t links_cap;
	uint32_t nlinks;
	bool deleted;
	struct eng_attr attr; /* attr.mask 0: no ATTR */
};

/* A MOVE or LINK target; path is the record's own string (move or links[i]). */
struct edit_tgt {
	const char *path;
	struct edit_rec *r;
};

/* A string-keyed hash table (edits-map.c); keys are borrowed unless said otherwise. */
struct edits_ent {
	const char *key; /* NULL: a free slot */
	void *val;
	uint64_t h;
};

struct edits_map {
	struct edits_ent *v;
	size_t cap, n;
};

struct edits_ent *edits_map_find(const struct edits_map *m, const char *key);
/* 0, -EEXIST (key there already), -ENOMEM */
int edits_map_put(struct edits_map *m, const char *key, void *val);
void edits_map_del(struct edits_map *m, struct edits_ent *ent);
void edits_map_done(struct edits_map *m, bool free_keys);

struct eng_edits {
	char disc_id[ENG_DISC_ID_MAX];
	struct edits_map recs;	/* disc path -> struct edit_rec (key: its disc) */
	struct edits_map tgts;	/* MOVE/LINK target -> struct edit_rec (key: its string) */
	struct edits_map under; /* directory -> how many targets lie below it (keys owned) */
	/* the targets sorted by bytes, built again when a range of them is asked for */
	struct edit_tgt *tg;
	size_t ntg, tg_cap;
	bool tg_stale;
	size_t live; /* records as the compact log writes them: one per DELETE, MOVE, LINK, ATTR */
	/* the log: fd -1 for a set in memory only */
	int dirfd, fd;
	char *name;
	size_t lines;	/* lines of the log after its first */
	bool replaying; /* load: the model changes, nothing is written */
	bool foreign;	/* opened against another disc (-EXDEV): read-only until reset */
	bool broken;	/* a change the log could not take: read-only */
};

/* edits.c: the model's changes, without logging (load replays the log through them) */
int edits_do_delete(struct eng_edits *e, const char *disc, const char *path);
int edits_do_rename(struct eng_edits *e, const char *from, const char *to, const char *disc);
int edits_do_link(struct eng_edits *e, const char *disc, const char *path);
int edits_do_attr(struct eng_edits *e, const char *disc, const struct eng_attr *a);
/* ... the compact log's records, set as they are: kind 'x' delete, 'm' move, 'l' link */
int edits_do_set(struct eng_edits *e, char kind, const char *disc, const char *target);
/* ... whether p is a path the edits take ("" the root only with root_ok) */
bool edits_path_ok(const char *p, bool root_ok);
/* ... whether path lies under directory dir */
bool edits_under(const char *path, const char *dir);
/* ... every record dropped */
void edits_clear(struct eng_edits *e);
/* ... the records in disc path order (a malloc'd array of recs.n, or NULL when none) */
int edits_sorted(const struct eng_edits *e, struct edit_rec ***ret);

/* edits-log.c: one change's line appended (nothing while replaying); compaction when due */
int edits_log(struct eng_edits *e, struct bfs_diag *diag, char op, const char *a, const char *b,
	      const char *c, const struct eng_attr *attr);
/* ... whether a change may be made now (not another disc's edits, nor a broken log) */
int edits_writable(const struct eng_edits *e, struct bfs_diag *diag);

#endif
