/* Runs a libFuzzer target without libFuzzer: every file of the given corpus folders, then
 * `--mutate N` random mutations of them (bit flips, truncations, byte inserts) from a printed
 * seed, so CI exercises each parser with gcc alone. A crash or abort fails the run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX 65536

struct corpus {
    uint8_t *data[1024];
    size_t size[1024];
    unsigned n;
};

static void load_dir(struct corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open %s\n", dir);
        exit(2);
    }
    struct dirent *e;
    while ((e = readdir(d)) && c->n < 1024) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t *buf = malloc(REPLAY_MAX);
        size_t n = fread(buf, 1, REPLAY_MAX, f);
        fclose(f);
        c->data[c->n] = buf;
        c->size[c->n++] = n;
    }
    closedir(d);
}

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

/* One mutation of a corpus entry; the result goes into a heap buffer of exactly `len` bytes so
 * AddressSanitizer catches a read one past the end. */
static void run_mutant(const struct corpus *c)
{
    uint8_t tmp[REPLAY_MAX];
    unsigned k = rnd() % c->n;
    size_t len = c->size[k];
    memcpy(tmp, c->data[k], len);
    switch (rnd() % 4) {
    case 0:
        for (unsigned i = 1 + rnd() % 8; len && i; i--)
            tmp[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
        break;
    case 1:
        len = len ? rnd() % len : 0;
        break;
    case 2:
        if (len < REPLAY_MAX - 16) {
            size_t at = len ? rnd() % len : 0, add = 1 + rnd() % 16;
            memmove(tmp + at + add, tmp + at, len - at);
            for (size_t i = 0; i < add; i++)
                tmp[at + i] = (uint8_t)rnd();
            len += add;
        }
        break;
    default:
        for (unsigned i = 1 + rnd() % 4; len && i; i--)
            tmp[rnd() % len] = (uint8_t)(rnd() & 1 ? 0xff : 0x00);
        break;
    }
    uint8_t *exact = malloc(len ? len : 1);
    memcpy(exact, tmp, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
}

int main(int argc, char **argv)
{
    struct corpus c = {0};
    unsigned long mutations = 0;
    rng_state = (uint64_t)time(NULL);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mutate") && i + 1 < argc)
            mutations = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            rng_state = strtoull(argv[++i], NULL, 10);
        else
            load_dir(&c, argv[i]);
    }
    if (!c.n) {
        fprintf(stderr, "usage: replay [--mutate N] [--seed S] CORPUS_DIR...\n");
        return 2;
    }
    printf("replay: %u corpus files, %lu mutations, seed %llu\n", c.n, mutations,
           (unsigned long long)rng_state);
    fflush(stdout); /* the seed must be on record before a crash, to replay it with --seed */
    for (unsigned i = 0; i < c.n; i++) {
        uint8_t *exact = malloc(c.size[i] ? c.size[i] : 1);
        memcpy(exact, c.data[i], c.size[i]);
        LLVMFuzzerTestOneInput(exact, c.size[i]);
        free(exact);
    }
    for (unsigned long m = 0; m < mutations; m++)
        run_mutant(&c);
    for (unsigned i = 0; i < c.n; i++)
        free(c.data[i]);
    printf("replay: done\n");
    return 0;
}
