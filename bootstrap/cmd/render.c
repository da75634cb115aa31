/*
 * render: `ftboot render [--out DIR] [--show-secrets]`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fs.h"
#include "render.h"
#include "xmem.h"

/* One file per template in dir, holding that template's documents. */
static int write_dir(const struct render_out *out, const char *dir, struct err *err)
{
	struct buf b = BUF_INIT(RENDER_MAX_BYTES);
	size_t i = 0, j;
	int rc = -1;

	if (fs_mkdirs(dir, 0700, err) < 0)
		return -1;
	while (i < out->n) {
		struct render_out one = {out->v + i, 0};
		char *path;

		for (j = i; j < out->n && strcmp(out->v[j].source, out->v[i].source) == 0; j++)
			one.n++;
		buf_reset(&b);
		path = path_join(dir, path_base(out->v[i].source));
		if (render_write(&one, &b, err) < 0 ||
		    fs_write_atomic(path, b.data, b.len, 0600, 0, err) < 0) {
			free(path);
			goto out;
		}
		free(path);
		i = j;
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

int cmd_render(struct ctx *ctx, const struct cmd_args *args, struct err *err)
{
	struct render_out out = {0};
	struct buf b = BUF_INIT(RENDER_MAX_BYTES);
	const char *dir = cmd_args_get(args, "out");
	int show = cmd_args_has(args, "show-secrets"), rc = -1;

	if (cmd_ready(ctx, err) < 0)
		return -1;
	if (show && !ctx->have_state) {
		if (state_open(&ctx->state, ctx->stack->name, 1, err) < 0)
			return -1;
		ctx->have_state = 1;
	}
	if (render_stack(ctx->stack, show ? &ctx->state : NULL, &out, err) < 0)
		goto out;
	if (dir) {
		if (write_dir(&out, dir, err) < 0)
			goto out;
	} else {
		if (render_write(&out, &b, err) < 0)
			goto out;
		if (fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
			err_sys(err, errno ? errno : EIO,
			        "cannot write the manifests to standard output");
			goto out;
		}
	}
	rc = 0;
out:
	buf_release(&b);
	render_out_release(&out);
	return rc;
}
