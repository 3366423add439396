/*
 * libFuzzer target for hw/pci/pcie_ext_cap_layout.c
 *
 * Input format (all little endian):
 *   [0x0000, 0x1000)  configuration space, zero-padded if the input is shorter
 *   [0x1000, 0x1008)  int64 offset requested from pcie_ext_cap_check_slot()
 *                     (default 0x100 if absent)
 *   [0x1008, 0x100a)  uint16 capability length, clamped to 1..64 (default 8)
 *   [0x100a, ...)     up to MAX_RECORDS records of 6 bytes each:
 *                       uint16 offset  -> the module's known size
 *                       uint16 id      -> the module's name for it
 *                       uint16 cfglen  -> a heap copy of exactly
 *                                         min(cfglen, 0x1000) bytes, used for
 *                                         known_size(), find_free() and
 *                                         build() so ASan sees any read past
 *                                         config_len
 *
 * The layout is built and checked twice: on the raw bytes (what the
 * hardware holds) and on kernel vfio-pci's view of them (what QEMU reads
 * through the kernel: tests/qtest/fake-vfio/kernel-view.c, the model the
 * fake-vfio test double serves, linked in by run-fuzz.sh), treating the
 * bytes as a PCIe device's.  On the view, the free-slot search must also
 * stay clear of every capability the kernel keeps.
 *
 * Every invariant failure prints what failed and calls abort(), which
 * libFuzzer reports as a crash.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qapi/error.h"
#include "hw/pci/pcie_ext_cap_layout.h"
#include "tests/qtest/fake-vfio/kernel-view.h"

/* module-wrap.c: the module's static sizing and naming helpers */
uint16_t fuzz_ext_cap_known_size(const uint8_t *config, size_t config_len,
                                 uint16_t offset);
const char *fuzz_ext_cap_name(uint16_t id);

#define CFG_SIZE        PCIE_EXT_CAP_SPACE_END
#define EXT_START       PCIE_EXT_CAP_SPACE_START
#define OFF_REQ         CFG_SIZE
#define OFF_LEN         (OFF_REQ + 8)
#define OFF_RECORDS     (OFF_LEN + 2)
#define RECORD_SIZE     6
#define MAX_RECORDS     16
#define DEFAULT_REQ     0x100
#define DEFAULT_LEN     8
#define MAX_LEN         64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_PRINTF(1, 2) G_NORETURN fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "INVARIANT FAILED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

#define CHECK(cond, ...) do { if (!(cond)) { fail(__VA_ARGS__); } } while (0)

static bool all_zero(const uint8_t *cfg, size_t cfg_len, uint32_t offset,
                     uint32_t len)
{
    uint32_t i;

    for (i = 0; i < len; i++) {
        if (offset + i >= cfg_len || cfg[offset + i]) {
            return false;
        }
    }
    return true;
}

/* Independent overlap check: any range meeting [offset, offset + len)? */
static bool bf_overlaps(const PCIExtCapLayout *layout, uint64_t offset,
                        uint64_t len)
{
    unsigned int i;

    for (i = 0; i < layout->nr; i++) {
        const PCIExtCapRange *r = &layout->cap[i];

        if (len && offset < (uint64_t)r->offset + r->size &&
            r->offset < offset + len) {
            return true;
        }
    }
    return false;
}

/* First overlapping entry in index order, or NULL */
static const PCIExtCapRange *bf_first_overlap(const PCIExtCapLayout *layout,
                                              uint32_t offset, uint32_t len)
{
    unsigned int i;

    if (!len) {
        return NULL;
    }
    for (i = 0; i < layout->nr; i++) {
        const PCIExtCapRange *r = &layout->cap[i];

        if ((uint64_t)offset < (uint64_t)r->offset + r->size &&
            r->offset < (uint64_t)offset + len) {
            return r;
        }
    }
    return NULL;
}

/*
 * Bytes owned by some range of the layout under test, one flag per byte,
 * computed independently of the module (no dword rounding).  Lets the
 * find_free() brute force run in O(space * len) instead of O(space * nr).
 */
static bool bf_owned[CFG_SIZE];

static void bf_owned_init(const PCIExtCapLayout *layout)
{
    unsigned int i, b;

    memset(bf_owned, 0, sizeof(bf_owned));
    for (i = 0; i < layout->nr; i++) {
        const PCIExtCapRange *r = &layout->cap[i];

        for (b = r->offset; b < (uint32_t)r->offset + r->size && b < CFG_SIZE;
             b++) {
            bf_owned[b] = true;
        }
    }
}

/* Would @offset be an acceptable automatic placement? */
static bool bf_slot_free(const uint8_t *cfg, size_t cfg_len, uint32_t offset,
                         uint16_t len)
{
    uint32_t b;

    if ((offset & 3) || offset < EXT_START || offset + len > CFG_SIZE ||
        offset + len > cfg_len) {
        return false;
    }
    for (b = offset; b < offset + len; b++) {
        if (cfg[b] || bf_owned[b]) {
            return false;
        }
    }
    return true;
}

static void check_known_size(const uint8_t *cfg, size_t cfg_len,
                             uint16_t offset)
{
    uint16_t ks = fuzz_ext_cap_known_size(cfg, cfg_len, offset);

    if (ks) {
        CHECK(ks >= 8 && !(ks & 3), "known_size(0x%x) = 0x%x", offset, ks);
        CHECK((uint32_t)offset + ks <= CFG_SIZE,
              "known_size(0x%x) = 0x%x runs past 0x1000", offset, ks);
        CHECK(offset >= EXT_START, "known_size(0x%x) = 0x%x below 0x100",
              offset, ks);
    }
}

static void check_layout(const PCIExtCapLayout *layout, const uint8_t *cfg)
{
    bool seen[CFG_SIZE / 4] = { false };
    unsigned int i;

    CHECK(layout->nr_chain <= layout->nr, "nr_chain %u > nr %u",
          layout->nr_chain, layout->nr);
    CHECK(layout->nr <= PCIE_EXT_CAP_MAX_ENTRIES, "nr %u > %u", layout->nr,
          (unsigned)PCIE_EXT_CAP_MAX_ENTRIES);
    CHECK(layout->last == (layout->nr_chain ?
                           layout->cap[layout->nr_chain - 1].offset : 0),
          "last 0x%x is not the last chain entry", layout->last);
    CHECK(memchr(layout->walk_error, 0, sizeof(layout->walk_error)) != NULL,
          "walk_error not terminated");

    for (i = 0; i < layout->nr; i++) {
        const PCIExtCapRange *r = &layout->cap[i];
        uint16_t ks;

        CHECK(r->offset >= EXT_START, "cap[%u] offset 0x%x < 0x100", i,
              r->offset);
        CHECK(r->size > 0, "cap[%u] at 0x%x has size 0", i, r->offset);
        CHECK((uint32_t)r->offset + r->size <= CFG_SIZE,
              "cap[%u] 0x%x + 0x%x runs past 0x1000", i, r->offset, r->size);
        CHECK(!(r->offset & 3), "cap[%u] offset 0x%x not dword aligned", i,
              r->offset);
        CHECK(!seen[r->offset / 4], "cap[%u] offset 0x%x listed twice", i,
              r->offset);
        seen[r->offset / 4] = true;
        CHECK(r->in_chain == (i < layout->nr_chain),
              "cap[%u] at 0x%x in_chain %d, nr_chain %u", i, r->offset,
              r->in_chain, layout->nr_chain);
        if (i > layout->nr_chain) {
            CHECK(r->offset > layout->cap[i - 1].offset,
                  "scanned cap[%u] at 0x%x not in address order", i,
                  r->offset);
        }
        CHECK(r->id == (ldl_le_p(cfg + r->offset) & 0xffff),
              "cap[%u] at 0x%x id 0x%x differs from the header", i,
              r->offset, r->id);
        /* A known size is exactly what fuzz_ext_cap_known_size() says */
        check_known_size(cfg, CFG_SIZE, r->offset);
        ks = fuzz_ext_cap_known_size(cfg, CFG_SIZE, r->offset);
        CHECK(r->size_known == (ks != 0),
              "cap[%u] at 0x%x size_known %d but known_size 0x%x", i,
              r->offset, r->size_known, ks);
        if (r->size_known) {
            CHECK(r->size == ks, "cap[%u] at 0x%x size 0x%x, known_size 0x%x",
                  i, r->offset, r->size, ks);
        }
    }
}

/*
 * find_free() against a brute force search of the same config;
 * bf_owned_init(layout) must have been called.
 */
static uint16_t check_find_free(const PCIExtCapLayout *layout,
                                const uint8_t *cfg, size_t cfg_len,
                                uint16_t len)
{
    uint16_t slot = pcie_ext_cap_find_free(layout, cfg, cfg_len, len);
    uint32_t o;

    if (slot) {
        CHECK(!(slot & 3), "find_free(len %u) 0x%x not aligned", len, slot);
        CHECK(slot >= EXT_START, "find_free(len %u) 0x%x below 0x100", len,
              slot);
        CHECK(slot + len <= CFG_SIZE, "find_free(len %u) 0x%x past 0x1000",
              len, slot);
        CHECK(slot + len <= cfg_len,
              "find_free(len %u) 0x%x past config_len 0x%zx", len, slot,
              cfg_len);
        CHECK(all_zero(cfg, cfg_len, slot, len),
              "find_free(len %u) 0x%x: bytes not all zero", len, slot);
        CHECK(pcie_ext_cap_layout_overlap(layout, slot, len) == NULL,
              "find_free(len %u) 0x%x overlaps per layout_overlap", len,
              slot);
        CHECK(!bf_overlaps(layout, slot, len),
              "find_free(len %u) 0x%x overlaps a range", len, slot);
    }
    /* Nothing higher (or anything at all, if 0) would have done */
    for (o = EXT_START; o + len <= CFG_SIZE; o += 4) {
        if (o > slot) {
            CHECK(!bf_slot_free(cfg, cfg_len, o, len),
                  "find_free(len %u, config_len 0x%zx) returned 0x%x but "
                  "0x%x is free", len, cfg_len, slot, o);
        }
    }
    return slot;
}

static bool check_slot(const PCIExtCapLayout *layout, int64_t offset,
                       uint16_t len)
{
    Error *err = NULL;
    bool ok = pcie_ext_cap_check_slot(layout, offset, len, &err);
    bool expect = offset >= EXT_START && !(offset & 3) &&
                  offset + len <= CFG_SIZE &&
                  !bf_overlaps(layout, offset, len);

    if (ok) {
        CHECK(err == NULL, "check_slot(0x%" PRIx64 ", %u) true but set errp",
              offset, len);
        CHECK(!(offset & 3), "check_slot accepted unaligned 0x%" PRIx64,
              offset);
        CHECK(offset >= EXT_START && offset + len <= CFG_SIZE,
              "check_slot accepted out of range 0x%" PRIx64 " + %u", offset,
              len);
        CHECK(!bf_overlaps(layout, offset, len),
              "check_slot accepted 0x%" PRIx64 " + %u which overlaps a range",
              offset, len);
    } else {
        const char *msg;

        CHECK(err != NULL, "check_slot(0x%" PRIx64 ", %u) false, no error",
              offset, len);
        msg = error_get_pretty(err);
        CHECK(msg && msg[0], "check_slot(0x%" PRIx64 ", %u) empty message",
              offset, len);
        CHECK(!expect, "check_slot rejected valid 0x%" PRIx64 " + %u: %s",
              offset, len, msg);
        error_free(err);
    }
    CHECK(pcie_ext_cap_check_slot(layout, offset, len, NULL) == ok,
          "check_slot(0x%" PRIx64 ", %u) differs with errp NULL", offset,
          len);
    return ok;
}

static void check_name(uint16_t id)
{
    const char *name = fuzz_ext_cap_name(id);

    CHECK(name != NULL, "pcie_ext_cap_name(0x%x) is NULL", id);
    CHECK(name[0], "pcie_ext_cap_name(0x%x) is empty", id);
    /* IDs the table covers get their own name, not the catch-all */
    CHECK(id > 0x3f || !strstr(name, "above"),
          "pcie_ext_cap_name(0x%x) = \"%s\"", id, name);
}

static void check_overlap(const PCIExtCapLayout *layout, uint32_t offset,
                          uint32_t len)
{
    CHECK(pcie_ext_cap_layout_overlap(layout, offset, len) ==
          bf_first_overlap(layout, offset, len),
          "layout_overlap(0x%x, 0x%x) is not the first overlapping range",
          offset, len);
}

/*
 * Probe overlap() and check_slot() right at the edges of every range,
 * where off-by-one mistakes live.  Bounded so that layouts with hundreds
 * of entries do not slow the fuzzer down too much.
 */
#define MAX_EDGE_PROBES 32

static void check_edges(const PCIExtCapLayout *layout, uint16_t len)
{
    unsigned int i;

    for (i = 0; i < layout->nr && i < MAX_EDGE_PROBES; i++) {
        const PCIExtCapRange *r = &layout->cap[i];
        uint32_t end = (uint32_t)r->offset + r->size;

        check_overlap(layout, end - 1, 1);
        check_overlap(layout, end, len);
        check_overlap(layout, r->offset - 1, 1);
        check_overlap(layout, r->offset - len, len);
        check_slot(layout, end, len);
        check_slot(layout, (r->offset - len) & ~3u, len);
    }
}

/* Checks on a heap copy of exactly @cfg_len bytes, so ASan sees overreads */
static void check_truncated(const PCIExtCapLayout *layout,
                            PCIExtCapLayout *scratch, const uint8_t *cfg,
                            size_t cfg_len, uint16_t offset, uint16_t len)
{
    uint8_t *copy = malloc(cfg_len ? cfg_len : 1);

    if (!copy) {
        return;
    }
    memcpy(copy, cfg, cfg_len);
    check_known_size(copy, cfg_len, offset);
    check_find_free(layout, copy, cfg_len, len);
    pcie_ext_cap_layout_build(scratch, copy, cfg_len);
    if (cfg_len < CFG_SIZE) {
        CHECK(scratch->nr == 0 && scratch->nr_chain == 0 &&
              scratch->last == 0 && !scratch->walk_error[0],
              "build with config_len 0x%zx is not empty", cfg_len);
    } else {
        check_layout(scratch, cfg);
    }
    free(copy);
}

/*
 * The layout of kernel vfio-pci's view of @cfg: the same invariants as
 * on the raw bytes, and no free slot on top of a capability the kernel
 * keeps (its map gives the bytes it owns).
 */
static void check_kernel_view(const uint8_t *cfg, uint16_t len)
{
    static struct kview kv;
    static uint8_t view[CFG_SIZE];
    static PCIExtCapLayout layout;
    uint16_t slot;
    uint32_t b;

    if (kv_view_of(&kv, cfg, KV_ASSUME_PCIE, view) < 0) {
        return;                 /* the kernel refuses such a device */
    }
    /* Bytes no capability owns are read from the device unchanged */
    for (b = EXT_START; b < CFG_SIZE; b++) {
        CHECK(kv.map[b] != KV_MAP_INVALID || view[b] == cfg[b],
              "kernel view: unassigned byte 0x%x reads 0x%02x, device 0x%02x",
              b, view[b], cfg[b]);
    }

    memset(&layout, 0xa5, sizeof(layout));
    pcie_ext_cap_layout_build(&layout, view, CFG_SIZE);
    check_layout(&layout, view);
    bf_owned_init(&layout);
    slot = check_find_free(&layout, view, CFG_SIZE, len);
    if (slot) {
        CHECK(check_slot(&layout, slot, len),
              "kernel view: check_slot rejected find_free's 0x%x (len %u)",
              slot, len);
        for (b = slot; b < (uint32_t)slot + len; b++) {
            /* the placeholder, or a standard capability running past 0xff */
            bool not_ecap = (kv.placeholder && b >= kv.placeholder &&
                             b < kv.placeholder + 4u) || b < kv.std_end;

            CHECK(kv.map[b] == KV_MAP_INVALID || not_ecap,
                  "kernel view: find_free(len %u) 0x%x lands on byte 0x%x of "
                  "a capability the kernel keeps (ID 0x%02x)", len, slot, b,
                  kv.map[b]);
        }
    }
    check_edges(&layout, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t cfg[CFG_SIZE];
    static PCIExtCapLayout layout, scratch;
    int64_t req = DEFAULT_REQ;
    uint16_t len = DEFAULT_LEN, slot;
    static bool names_checked;
    size_t pos;
    unsigned int n;

    if (!names_checked) {
        for (n = 0; n <= 0x40; n++) {
            check_name(n);
        }
        check_name(0xffff);
        names_checked = true;
    }

    memset(cfg, 0, sizeof(cfg));
    memcpy(cfg, data, MIN(size, sizeof(cfg)));
    if (size >= OFF_LEN) {
        req = (int64_t)ldq_le_p(data + OFF_REQ);
    }
    if (size >= OFF_RECORDS) {
        len = lduw_le_p(data + OFF_LEN);
        len = MIN(MAX(len, 1), MAX_LEN);
    }

    /* Garbage in the struct must not matter: build() fills all of it */
    memset(&layout, 0xa5, sizeof(layout));
    pcie_ext_cap_layout_build(&layout, cfg, CFG_SIZE);
    check_layout(&layout, cfg);
    bf_owned_init(&layout);

    slot = check_find_free(&layout, cfg, CFG_SIZE, len);
    if (slot) {
        CHECK(check_slot(&layout, slot, len),
              "check_slot rejected find_free's 0x%x (len %u)", slot, len);
    }
    check_slot(&layout, req, len);
    check_overlap(&layout, (uint32_t)req, len);
    check_overlap(&layout, (uint32_t)req, (uint32_t)((uint64_t)req >> 32));
    check_edges(&layout, len);
    check_known_size(cfg, CFG_SIZE, (uint16_t)req);
    check_name((uint16_t)req);
    check_name(len);

    for (pos = OFF_RECORDS, n = 0; pos + RECORD_SIZE <= size && n < MAX_RECORDS;
         pos += RECORD_SIZE, n++) {
        uint16_t offset = lduw_le_p(data + pos);
        uint16_t id = lduw_le_p(data + pos + 2);
        uint16_t cfg_len = MIN(lduw_le_p(data + pos + 4), CFG_SIZE);

        check_known_size(cfg, CFG_SIZE, offset);
        check_name(id);
        check_slot(&layout, offset, len);
        check_overlap(&layout, offset, id);
        check_truncated(&layout, &scratch, cfg, cfg_len, offset, len);
    }

    check_kernel_view(cfg, len);
    return 0;
}
