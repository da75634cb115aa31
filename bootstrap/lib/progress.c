/*
 * progress: the command layer's rendering of transfer progress on a
 * stream (stderr): a line redrawn in place on a terminal, a few plain
 * lines elsewhere. The only module besides main.c and cmd_*.c that
 * prints, and only what it is asked to show.
 */
#include <string.h>
#include <unistd.h>

#include "progress.h"

#define PROGRESS_REDRAW_MS 100

static long long progress_ms(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

void progress_size(unsigned long long bytes, char *out, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(out, len, "%llu B", bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, "%.1f %s", v, units[u]);
}

void progress_init(struct progress *p, const char *label, FILE *fp)
{
	memset(p, 0, sizeof(*p));
	p->fp = fp;
	p->label = label;
	p->tty = isatty(fileno(fp));
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
}

/* Bytes per second since the first update, into out ("" while too early to say). */
static void progress_rate(const struct progress *p, const struct timespec *now, char *out,
                          size_t len)
{
	long long ms = progress_ms(&p->t0, now);
	char size[32];

	out[0] = '\0';
	if (ms < 500 || p->done < p->first)
		return;
	progress_size((unsigned long long)((double)(p->done - p->first) * 1000.0 / (double)ms),
	              size, sizeof(size));
	snprintf(out, len, "%s/s", size);
}

/* "42%  120.3 MiB/280.0 MiB  12.1 MiB/s", or without the total when unknown. */
static void progress_text(const struct progress *p, const struct timespec *now, char *out,
                          size_t len)
{
	char done[32], total[32], rate[40];

	progress_size(p->done, done, sizeof(done));
	progress_rate(p, now, rate, sizeof(rate));
	if (p->total > 0) {
		progress_size(p->total, total, sizeof(total));
		snprintf(out, len, "%3u%%  %s/%s%s%s", (unsigned)(p->done * 100 / p->total), done,
		         total, *rate ? "  " : "", rate);
	} else {
		snprintf(out, len, "%s%s%s", done, *rate ? "  " : "", rate);
	}
}

/* Redraw the terminal line, padding over what the last one left. */
static void progress_draw(struct progress *p, const char *text)
{
	int n;

	n = fprintf(p->fp, "\r%s %s", p->label, text);
	if (n > 0 && n - 1 < p->width)
		fprintf(p->fp, "%*s", p->width - (n - 1), "");
	if (n > 0)
		p->width = n - 1;
	fflush(p->fp);
}

void progress_update(void *ctx, unsigned long long done, unsigned long long total)
{
	struct progress *p = ctx;
	struct timespec now;
	char text[128], size[32];
	unsigned step;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!p->started) {
		p->t0 = now;
		p->first = done;
	}
	p->done = done;
	p->total = total;
	if (p->tty) {
		if (p->started && done != total &&
		    progress_ms(&p->drawn, &now) < PROGRESS_REDRAW_MS)
			return;
		p->started = 1;
		p->drawn = now;
		progress_text(p, &now, text, sizeof(text));
		progress_draw(p, text);
		return;
	}
	step = total > 0 ? (unsigned)(done * 10 / total) : 0;
	if (!p->started) {
		p->started = 1;
		p->step = step;
		if (total > 0 && done > 0) {
			progress_size(done, text, sizeof(text));
			progress_size(total, size, sizeof(size));
			fprintf(p->fp, "%s (%s, resuming at %s)\n", p->label, size, text);
		} else if (total > 0) {
			progress_size(total, size, sizeof(size));
			fprintf(p->fp, "%s (%s)\n", p->label, size);
		} else {
			fprintf(p->fp, "%s\n", p->label);
		}
		fflush(p->fp);
		return;
	}
	/* Each 10% step once; 100% is left to progress_end. */
	if (step > p->step && step < 10) {
		p->step = step;
		progress_text(p, &now, text, sizeof(text));
		fprintf(p->fp, "%s: %s\n", p->label, text);
		fflush(p->fp);
	}
}

void progress_end(struct progress *p, int ok)
{
	struct timespec now;
	char line[160], size[32], rate[40];
	long long ms;

	if (!p->started)
		return;
	if (!ok) {
		if (p->tty)
			fputc('\n', p->fp);
		fflush(p->fp);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = progress_ms(&p->t0, &now);
	progress_size(p->done, size, sizeof(size));
	progress_rate(p, &now, rate, sizeof(rate));
	snprintf(line, sizeof(line), "done, %s in %.1f s%s%s%s", size, (double)ms / 1000.0,
	         *rate ? " (" : "", rate, *rate ? ")" : "");
	if (p->tty) {
		/* Overwrite the bar: "\rLABEL: done, ..." padded, then a newline. */
		int n = fprintf(p->fp, "\r%s: %s", p->label, line);

		if (n > 0 && n - 1 < p->width)
			fprintf(p->fp, "%*s", p->width - (n - 1), "");
		fputc('\n', p->fp);
	} else {
		fprintf(p->fp, "%s: %s\n", p->label, line);
	}
	fflush(p->fp);
}
