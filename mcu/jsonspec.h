/* Strict validation of JSON request bodies against parameter tables. Pure (over jansson). */
#ifndef MCU_JSONSPEC_H
#define MCU_JSONSPEC_H

#include <jansson.h>
#include <stddef.h>

enum jsonspec_type { JS_STRING, JS_INT, JS_BOOL };

struct jsonspec {
    const char *name;
    enum jsonspec_type type;
    int required;
    long long min, max; /* JS_INT: value range; JS_STRING: length range (max 0 = no limit) */
    const char *const *choices; /* JS_STRING: NULL-terminated allowed values, or NULL */
};

/* 0 when `body` is an object whose keys are all in the table with the right types and ranges,
 * and every required key is present; else -EINVAL and a message a person can act on in err. */
int jsonspec_check(const json_t *body, const struct jsonspec *spec, size_t n, char *err,
                   size_t cap);

/* Accessors that return the default for an absent key (the body was checked already). */
const char *jsonspec_str(const json_t *body, const char *name, const char *dflt);
long long jsonspec_int(const json_t *body, const char *name, long long dflt);
int jsonspec_bool(const json_t *body, const char *name, int dflt);

#endif
