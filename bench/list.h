/* list.h: the benchmarks' comma-separated number lists (--batch 1,16,64). */
#ifndef BENCH_LIST_H
#define BENCH_LIST_H

/* s as up to `most` whole numbers in [1, 65536] into out, their count into
 * *n; -1 when s is not such a list. */
int parse_list(const char *s, int *out, int most, int *n);

#endif
