/* The load generator's output: one table row per run (with the video columns when the
 * scenario has video) and the run's JSON object. */
#ifndef LG_REPORT_H
#define LG_REPORT_H

#include <jansson.h>

#include "loadgen.h"

void lg_report_head(int video);
void lg_report_row(const struct lg_run_result *r, int video);
/* A new reference, owned by the caller. */
json_t *lg_report_json(const struct lg_run_result *r);

#endif
