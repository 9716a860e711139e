/* JSON body validation from tables. */
#include "jsonspec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct jsonspec *find(const struct jsonspec *spec, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(spec[i].name, key))
            return &spec[i];
    }
    return NULL;
}

static int in_choices(const char *const *choices, const char *v)
{
    for (; *choices; choices++) {
        if (!strcmp(*choices, v))
            return 1;
    }
    return 0;
}

static void list_choices(const char *const *choices, char *buf, size_t cap)
{
    size_t off = 0;
    buf[0] = '\0';
    for (; *choices && off < cap; choices++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", off ? ", " : "", *choices);
}

static int check_value(const struct jsonspec *p, const json_t *v, char *err, size_t cap)
{
    switch (p->type) {
    case JS_STRING: {
        if (!json_is_string(v)) {
            snprintf(err, cap, "\"%s\" must be a string", p->name);
            return -EINVAL;
        }
        size_t len = json_string_length(v);
        if ((long long)len < p->min || (p->max && (long long)len > p->max)) {
            snprintf(err, cap, "\"%s\" must be %lld to %lld characters long", p->name, p->min,
                     p->max);
            return -EINVAL;
        }
        if (p->choices && !in_choices(p->choices, json_string_value(v))) {
            char list[200];
            list_choices(p->choices, list, sizeof(list));
            snprintf(err, cap, "\"%s\" must be one of: %s", p->name, list);
            return -EINVAL;
        }
        return 0;
    }
    case JS_INT:
        if (!json_is_integer(v) || json_integer_value(v) < p->min ||
            json_integer_value(v) > p->max) {
            snprintf(err, cap, "\"%s\" must be an integer from %lld to %lld", p->name, p->min,
                     p->max);
            return -EINVAL;
        }
        return 0;
    case JS_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(err, cap, "\"%s\" must be true or false", p->name);
            return -EINVAL;
        }
        return 0;
    }
    return -EINVAL;
}

int jsonspec_check(const json_t *body, const struct jsonspec *spec, size_t n, char *err, size_t cap)
{
    if (!json_is_object(body)) {
        snprintf(err, cap, "the request body must be a JSON object");
        return -EINVAL;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        const struct jsonspec *p = find(spec, n, key);
        if (!p) {
            snprintf(err, cap, "unknown field \"%s\"", key);
            return -EINVAL;
        }
        int e = check_value(p, v, err, cap);
        if (e)
            return e;
    }
    for (size_t i = 0; i < n; i++) {
        if (spec[i].required && !json_object_get(body, spec[i].name)) {
            snprintf(err, cap, "missing required field \"%s\"", spec[i].name);
            return -EINVAL;
        }
    }
    return 0;
}

const char *jsonspec_str(const json_t *body, const char *name, const char *dflt)
{
    const json_t *v = json_object_get(body, name);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

long long jsonspec_int(const json_t *body, const char *name, long long dflt)
{
    const json_t *v = json_object_get(body, name);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int jsonspec_bool(const json_t *body, const char *name, int dflt)
{
    const json_t *v = json_object_get(body, name);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}
