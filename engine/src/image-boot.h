/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image plan's bootable part (engine/image.h struct eng_boot_opts), private to image.c:
 *
 *	eng_boot_prepare()  find and check the boot files in the tree, read the MBR template;
 *			    a shown catalog becomes a 2048-byte file node of the tree
 *	(the plan)	    the hidden catalog's block after the metadata; with hybrid, the
 *			    system area and the backup GPT's tail as memory blocks
 *	eng_boot_render()   once every address is fixed: the catalog, the boot info table
 *			    (the BIOS file read once, its checksum), the MBR and GPTs
 *
 * The stream copies the memory blocks and patches the boot info table over bytes 8-63 of
 * the BIOS file's first block, before the file is hashed: the manifest's SHA-256 is that
 * of the file as stored, which is what sha256sum -c reads back.
 */
#ifndef ENGINE_IMAGE_BOOT_H
#define ENGINE_IMAGE_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/diag.h"
#include "common/tree.h"
#include "engine/image.h"
#include "iso9660/hybrid.h"

/* The backup GPT's blocks at the image's end (array + header, 512-byte sectors). */
#define ENG_BOOT_TAIL_BLOCKS ((GPT_TABLE_SECTORS + 3u) / 4u)

struct eng_boot {
	bool on;	       /* any boot option given */
	struct bfs_node *bios; /* the BIOS boot file, or NULL */
	struct bfs_node *efi;  /* the EFI image, or NULL */
	struct bfs_node *cat;  /* the shown catalog's node, or NULL (hidden) */
	uint64_t cat_lba;      /* the hidden catalog's block (the plan's) */
	uint8_t catalog[2048];
	uint8_t bi_table[56]; /* replaces bytes 8-63 of the BIOS file */
	bool hybrid;
	uint8_t mbr_code[HYBRID_MBR_CODE_LEN];
	uint8_t *sysarea; /* hybrid: the 16 blocks of the system area */
	uint8_t *tail;	  /* hybrid: the last blocks, the backup GPT at their end */
	uint64_t tail_blocks;
};

int eng_boot_prepare(struct eng_boot *b, const struct eng_boot_opts *o, struct bfs_node *root,
		     uint64_t start_lba, struct bfs_diag *diag) BFS_WARN_UNUSED;

/*
 * After the plan: end is the image's block count (tail included), pvd_lba the PVD's, uuid
 * the volume's serial (the disk signature and GUIDs derive from it: same tree, same epoch,
 * same bytes).
 */
int eng_boot_render(struct eng_boot *b, uint64_t pvd_lba, uint64_t end, uint64_t uuid,
		    struct bfs_diag *diag) BFS_WARN_UNUSED;

void eng_boot_done(struct eng_boot *b);

#endif
