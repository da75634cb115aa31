/* Unit tests: the kvm module (the KVM device node, probed with open and stat). */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tap.h"
#include "kvm.h"

static int has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

static void test_usable(const char *tmp)
{
	char why[512], path[512];
	int k;

	ok(kvm_usable("/nonexistent/kvm", why, sizeof(why)) == 0 &&
	       has(why, "/nonexistent/kvm does not exist") && has(why, "kvm_intel"),
	   "no device: says how to get one: %s", why);
	ok(kvm_usable("/nonexistent/kvm", NULL, 0) == 0, "no reason asked: still 0");
	ok(kvm_usable("/dev/null", why, sizeof(why)) == 1 && why[0] == '\0',
	   "a device that opens read-write is usable, with no reason");
	snprintf(path, sizeof(path), "%s/dir", tmp);
	ok(mkdir(path, 0700) == 0 && kvm_usable(path, why, sizeof(why)) == 0 &&
	       has(why, "TCG (slow) still works"),
	   "a directory does not open read-write: %s", why);
	k = kvm_usable(KVM_DEV, why, sizeof(why));
	ok(k == 1 || (k == 0 && why[0]), "this host's %s: %d%s%s", KVM_DEV, k, k ? "" : ": ", why);
	rmdir(path);
}

static void test_shared(const char *tmp)
{
	char path[512], why[512];
	struct group *kvm = getgrnam("kvm");

	ok(kvm_shared("/nonexistent/kvm", why, sizeof(why)) == 1, "no /dev/kvm: nothing to say");
	ok(kvm_shared("/dev/null", why, sizeof(why)) == 1, "a device open to all: fine");
	ok(kvm_shared(tmp, why, sizeof(why)) == 1, "not a character device: nothing to say");
	snprintf(path, sizeof(path), "%s/kvm", tmp);
	if (geteuid() != 0 || mknod(path, S_IFCHR | 0600, makedev(10, 232)) < 0) {
		skip("cannot make a character device here (needs root and CAP_MKNOD)");
		skip("cannot make a character device here (needs root and CAP_MKNOD)");
		return;
	}
	chmod(path, 0600);
	ok(kvm_shared(path, why, sizeof(why)) == 0 && has(why, "crw-------, group root") &&
	       has(why, "chmod 0660"),
	   "root-only /dev/kvm (no udev): named, with the fix: %s", why);
	if (kvm && chown(path, 0, kvm->gr_gid) == 0 && chmod(path, 0660) == 0)
		ok(kvm_shared(path, why, sizeof(why)) == 1, "group kvm, 0660 (udev's rule): fine");
	else
		skip("no kvm group here");
	unlink(path);
}

int main(void)
{
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s/ftboot-kvm.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		skip_all("cannot make a temporary directory");
	test_usable(tmp);
	test_shared(tmp);
	rmdir(tmp);
	return tap_done();
}
