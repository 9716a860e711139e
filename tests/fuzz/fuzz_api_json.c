/* Fuzz target: API request bodies, as JSON text, through the parameter tables' validation. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const modes[] = {"forward", "mix", NULL};
static const struct jsonspec spec[] = {
    {"title", JS_STRING, 1, 1, 200, NULL},
    {"max", JS_INT, 0, 2, 10000, NULL},
    {"mode", JS_STRING, 0, 0, 0, modes},
    {"mux", JS_BOOL, 0, 0, 0, NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return 0;
    char err[200];
    if (!jsonspec_check(j, spec, sizeof(spec) / sizeof(spec[0]), err, sizeof(err))) {
        jsonspec_str(j, "title", NULL);
        jsonspec_int(j, "max", 0);
        jsonspec_bool(j, "mux", 0);
    }
    json_decref(j);
    return 0;
}
