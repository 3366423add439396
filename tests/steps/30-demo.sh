#!/bin/sh
# 'make demo' works and shows what it claims: lspci decodes the synthesized
# capability in the guest-visible config space, with the host's bits.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(sh "$top/scripts/demo.sh")
printf '%s\n' "$out"
# Intel DSA: at its own hidden PASID capability's offset, 0x230, by the
# device table (design 2.4 rule a); the trace names the rule.
printf '%s\n' "$out" | grep -qx '>> 	Capabilities: \[230 v1\] Process Address Space ID (PASID)'
printf '%s\n' "$out" | grep -qx '>> 		PASIDCap: Exec- Priv+, Max PASID Width: 14'
printf '%s\n' "$out" | grep -q 'vfio_pci_vpasid_add 0000:01:00.0: vPASID capability at 0x230 (device table): width 20 exec 0 priv 1'
# A guest write to PASID Control stays in QEMU: the test double's log of
# config writes has none inside the capability
printf '%s\n' "$out" | grep -q ' config writes reached the device, 0 of them in 0x230-0x237$'
printf '%s\n' "$out" | grep -q 'to PASID Control at 0x236 and reads back 0x0001;$'
# The data path: the guest's module attached PASID 1 to the device's DMA
# domain and PASID 2 to a shadowed domain of its own, and every check passed
printf '%s\n' "$out" | grep -q 'vtd_pasid_bind_attach 0000:01:00.0 pasid=1 pt_id=[0-9]* (same domain as RID_PASID) on PASID-cache invalidation$'
printf '%s\n' "$out" | grep -q 'vtd_pasid_shadow_new 0000:01:00.0 pasid=2: shadow of domain [0-9]* in ioas=[0-9]* hwpt=[0-9]*$'
printf '%s\n' "$out" | grep -q 'vpasid-dma: done: [0-9]* ok, 0 not ok$'
printf '%s\n' "$out" | grep -q '^   [0-9]* checks passed, 0 failed$'
# ... and the booted guest's own lspci shows it, as does lspci -F of QEMU's
# guest view
test "$(printf '%s\n' "$out" | grep -c '^>> 	Capabilities: \[230 v1\] Process Address Space ID (PASID)$')" -eq 2
echo "1 passed, 0 failed"
