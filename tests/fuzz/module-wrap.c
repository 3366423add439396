/*
 * The layout module as the fuzzer links it: the module's source compiled
 * in (MODULE_SRC, a path string given by run-fuzz.sh, so that
 * mutation-test.sh can swap in a mutated copy), plus entry points for the
 * sizing and naming helpers that the module keeps static.  Compiled with
 * libFuzzer's coverage instrumentation, like the module alone was.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"

#ifndef MODULE_SRC
#error "MODULE_SRC must name the module's source file"
#endif
#include MODULE_SRC

uint16_t fuzz_ext_cap_known_size(const uint8_t *config, size_t config_len,
                                 uint16_t offset);
const char *fuzz_ext_cap_name(uint16_t id);

/* The size the module knows for the capability at @offset, 0 if none */
uint16_t fuzz_ext_cap_known_size(const uint8_t *config, size_t config_len,
                                 uint16_t offset)
{
    uint16_t size = 0;

    if (!config ||
        pcie_ext_cap_size(config, config_len, offset, &size) !=
        PCIE_EXT_CAP_SIZE_KIND_KNOWN) {
        return 0;
    }
    return size;
}

const char *fuzz_ext_cap_name(uint16_t id)
{
    return pcie_ext_cap_name(id);
}
