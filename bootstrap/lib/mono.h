/*
 * mono: the one monotonic clock of the bounded waits (a VM's boot, an
 * engine's answer), and the pause between their attempts.
 */
#ifndef FTBOOT_MONO_H
#define FTBOOT_MONO_H

/* Seconds on CLOCK_MONOTONIC: for deadlines and durations, not dates. */
double mono_now(void);

/* Sleep ms milliseconds (a signal may end it early). */
void mono_nap(int ms);

#endif
