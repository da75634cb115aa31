/*
 * kvm: the KVM device node, probed with open(2) and stat(2). What the
 * probes find goes into a message that says what to do about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm.h"

int kvm_usable(const char *dev, char *why, size_t size)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	int e = errno;

	if (fd >= 0) {
		close(fd);
		if (why && size)
			why[0] = '\0';
		return 1;
	}
	if (!why || !size)
		return 0;
	if (e == ENOENT)
		snprintf(why, size,
		         "%s does not exist: enable virtualisation (VT-x/AMD-V) in the "
		         "firmware and load kvm_intel or kvm_amd, or use TCG (slow)",
		         dev);
	else if (e == EACCES || e == EPERM)
		snprintf(why, size,
		         "%s: %s: add your user to the 'kvm' group (sudo usermod -aG kvm "
		         "$USER, then log in again), or use TCG (slow)",
		         dev, strerror(e));
	else
		snprintf(why, size, "%s: %s; TCG (slow) still works", dev, strerror(e));
	return 0;
}

int kvm_shared(const char *dev, char *why, size_t size)
{
	struct stat st;
	struct group *gr;
	char mode[11];
	int i;

	if (stat(dev, &st) < 0 || !S_ISCHR(st.st_mode))
		return 1; /* no KVM: nothing for libvirt to re-probe */
	/* QEMU runs as its own user (libvirt-qemu, qemu) in group kvm */
	if ((st.st_mode & 006) == 006 || ((st.st_mode & 060) == 060 && st.st_gid != 0))
		return 1;
	if (why && size) {
		for (i = 0; i < 9; i++)
			mode[1 + i] = st.st_mode & (0400 >> i) ? "rwxrwxrwx"[i] : '-';
		mode[0] = 'c';
		mode[10] = '\0';
		gr = getgrgid(st.st_gid);
		snprintf(why, size,
		         "%s is %s, group %s: QEMU's own user cannot open it, so libvirtd "
		         "calls its QEMU capability cache stale and probes QEMU again on every "
		         "call (a define can take a minute); do what udev does on a laptop: "
		         "chgrp kvm %s && chmod 0660 %s",
		         dev, mode, gr ? gr->gr_name : "?", dev, dev);
	}
	return 0;
}
