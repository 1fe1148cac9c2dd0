/*
 * ps-report's own parts beside main.c: the Prometheus exposition of the
 * records of a stream (prom.c).
 */
#ifndef PS_REPORT_H
#define PS_REPORT_H

#include <stdio.h>

#include "lib/records.h"

struct prom;

struct prom *prom_new(void);
/* Take what the record says into the series (any record type). */
void prom_record(struct prom *p, const json_t *rec);
/* Write every series to out, then free p. */
void prom_write_free(struct prom *p, FILE *out);

#endif
