/*
 * kvm: what the host's KVM device says about running guests with
 * hardware acceleration, asked of the device node alone (no libvirt, no
 * ioctl): can this process open it, and can QEMU's own user.
 */
#ifndef FTBOOT_KVM_H
#define FTBOOT_KVM_H

#include <stddef.h>

#define KVM_DEV "/dev/kvm"

/*
 * 1 if dev (KVM_DEV) exists and opens read-write, else 0 with the reason
 * (and what to do) in why when why is not NULL. This says nothing about
 * whether KVM guests actually run well (nested virtualisation): the
 * caller decides on falling back to TCG.
 */
int kvm_usable(const char *dev, char *why, size_t size);

/*
 * 0 if dev (KVM_DEV) is a device only root may open (no udev rule ran):
 * a local libvirtd then re-probes QEMU on every call, and each define is
 * slow. The reason and the fix go into why. 1 if dev is absent or open to
 * QEMU's user (group kvm, or everyone).
 */
int kvm_shared(const char *dev, char *why, size_t size);

#endif
