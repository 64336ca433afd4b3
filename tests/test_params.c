/* Parameter parsing, size formatting and the typed lookups (harness/params.c). */
#include "params.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <string.h>

static const char *const colors[] = {"red", "green", "blue", NULL};

static const tcb_param_spec spec_size = {"size", TCB_PARAM_SIZE, "1MiB", 1, NULL, "bytes"};
static const tcb_param_spec spec_size_any = {"delta", TCB_PARAM_SIZE, "0", -INFINITY, NULL, ""};
static const tcb_param_spec spec_int = {"rank", TCB_PARAM_INT, "-1", -1, NULL, ""};
static const tcb_param_spec spec_float = {"seconds", TCB_PARAM_FLOAT, "0.01", 0, NULL, ""};
static const tcb_param_spec spec_bool = {"inplace", TCB_PARAM_BOOL, "false", 0, NULL, ""};
static const tcb_param_spec spec_enum = {"color", TCB_PARAM_ENUM, "red", 0, colors, ""};

static bool parse_i(const tcb_param_spec *s, const char *text, long long *out)
{
    *out = -12345;
    return tcb_param_parse(s, text, out, NULL, NULL, NULL);
}

Test(params, size_accepts_plain_and_binary_units)
{
    static const struct {
        const char *text;
        long long bytes;
    } rows[] = {
        {"8", 8},
        {"8B", 8},
        {"64K", 65536},
        {"64KiB", 65536},
        {"1M", 1048576},
        {"1MiB", 1048576},
        {"1G", 1073741824LL},
        {"1GiB", 1073741824LL},
        {"2T", 2199023255552LL},
        {"2TiB", 2199023255552LL},
        {"1.5GiB", 1610612736LL},
        {"0.5KiB", 512},
        {"1.25K", 1280},
        {"4.0B", 4},
        {"+16", 16},
        {"9223372036854775807", LLONG_MAX},
        {"8388607TiB", 8388607LL << 40},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        long long v;
        cr_expect(parse_i(&spec_size, rows[i].text, &v), "'%s' should parse", rows[i].text);
        cr_expect_eq(v, rows[i].bytes, "'%s' -> %lld, want %lld", rows[i].text, v, rows[i].bytes);
    }
}

Test(params, size_rejects_everything_else)
{
    static const char *const bad[] = {
        "",      "B",      "KiB",    "1MB",  "1kb",   "1k",     "1 KiB", " 8",
        "8 ",    "1KiBB",  "1Ki",    "0x10", "1e3",   "1.5B",   "1.3KiB", "1.",
        ".5K",   "1.5",    "abc",    "1PiB", "9223372036854775808", "8388608TiB",
        "99999999999999999999", "--8", "8B8", "1,024",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long long v;
        cr_expect_not(parse_i(&spec_size, bad[i], &v), "'%s' should be rejected", bad[i]);
        cr_expect_eq(v, -12345, "a rejected parse must not write its output");
    }
}

Test(params, size_minimum_rejects_zero_and_negatives)
{
    long long v;
    cr_expect_not(parse_i(&spec_size, "0", &v));
    cr_expect_not(parse_i(&spec_size, "-8", &v));
    cr_expect_not(parse_i(&spec_size, "-1KiB", &v));
    /* With no minimum a negative size is a number like any other. */
    cr_expect(parse_i(&spec_size_any, "-1KiB", &v));
    cr_expect_eq(v, -1024);
    cr_expect(parse_i(&spec_size_any, "0", &v));
    cr_expect_eq(v, 0);
}

Test(params, int_parses_decimal_integers_only)
{
    long long v;
    cr_expect(parse_i(&spec_int, "3", &v));
    cr_expect_eq(v, 3);
    cr_expect(parse_i(&spec_int, "-1", &v));
    cr_expect_eq(v, -1);
    cr_expect_not(parse_i(&spec_int, "-2", &v), "below min -1");
    static const char *const bad[] = {"1.5", "abc", "", "1e3", "0x10", "1K", "true",
                                      "99999999999999999999", " 1", "1 ", "+", "-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(parse_i(&spec_int, bad[i], &v), "'%s' should be rejected", bad[i]);
}

Test(params, float_parses_finite_numbers)
{
    double f = -1;
    cr_expect(tcb_param_parse(&spec_float, "0.5", NULL, &f, NULL, NULL));
    cr_expect_float_eq(f, 0.5, 1e-15);
    cr_expect(tcb_param_parse(&spec_float, "2", NULL, &f, NULL, NULL));
    cr_expect_float_eq(f, 2.0, 1e-15);
    cr_expect(tcb_param_parse(&spec_float, "1e-3", NULL, &f, NULL, NULL));
    cr_expect_float_eq(f, 0.001, 1e-18);
    cr_expect(tcb_param_parse(&spec_float, "0", NULL, &f, NULL, NULL), "min is inclusive");
    static const char *const bad[] = {"abc", "nan", "inf", "-inf", "1.5.2", "", "-0.5",
                                      "0x1p3", "1e999", ".", "e5", "1s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(tcb_param_parse(&spec_float, bad[i], NULL, &f, NULL, NULL),
                      "'%s' should be rejected", bad[i]);
}

Test(params, bool_takes_only_true_and_false)
{
    bool b = true;
    cr_expect(tcb_param_parse(&spec_bool, "false", NULL, NULL, &b, NULL));
    cr_expect_not(b);
    cr_expect(tcb_param_parse(&spec_bool, "true", NULL, NULL, &b, NULL));
    cr_expect(b);
    static const char *const bad[] = {"yes", "no", "on", "off", "True", "FALSE", "1", "0", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(tcb_param_parse(&spec_bool, bad[i], NULL, NULL, &b, NULL),
                      "'%s' should be rejected", bad[i]);
}

Test(params, enum_gives_the_choice_index)
{
    int c = -1;
    cr_expect(tcb_param_parse(&spec_enum, "blue", NULL, NULL, NULL, &c));
    cr_expect_eq(c, 2);
    cr_expect(tcb_param_parse(&spec_enum, "red", NULL, NULL, NULL, &c));
    cr_expect_eq(c, 0);
    cr_expect_not(tcb_param_parse(&spec_enum, "Red", NULL, NULL, NULL, &c), "case-sensitive");
    cr_expect_not(tcb_param_parse(&spec_enum, "", NULL, NULL, NULL, &c));
    cr_expect_not(tcb_param_parse(&spec_enum, "purple", NULL, NULL, NULL, &c));
}

Test(params, size_format_prints_exact_binary_units)
{
    static const struct {
        long long bytes;
        const char *text;
    } rows[] = {
        {0, "0B"},
        {8, "8B"},
        {1023, "1023B"},
        {1024, "1KiB"},
        {65536, "64KiB"},
        {1048576, "1MiB"},
        {1536, "1.5KiB"},
        {1280, "1.25KiB"},
        {1610612736LL, "1.5GiB"},
        {3LL << 39, "1.5TiB"},
        {1LL << 40, "1TiB"},
        {1LL << 50, "1024TiB"},
        {1000, "1000B"},
        {1025, "1025B"},
        {1000000, "1000000B"},
        {1152, "1152B"}, /* 1.125KiB needs three decimals: shown in bytes */
        {-1024, "-1KiB"},
        {LLONG_MAX, "9223372036854775807B"},
        {LLONG_MIN, "-8388608TiB"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char buf[32];
        cr_expect_str_eq(tcb_size_format(rows[i].bytes, buf, sizeof buf), rows[i].text);
    }
}

Test(params, size_format_output_parses_back)
{
    long long samples[] = {1, 7, 8, 1000, 1024, 1536, 4095, 65536, 98304, 3 << 20,
                           (5LL << 30) / 4, 1LL << 40, (1LL << 40) + 1, LLONG_MAX};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char buf[32];
        long long back;
        tcb_size_format(samples[i], buf, sizeof buf);
        cr_expect(parse_i(&spec_size, buf, &back), "'%s' should parse", buf);
        cr_expect_eq(back, samples[i], "%lld -> '%s' -> %lld", samples[i], buf, back);
    }
}

Test(params, size_format_truncates_safely)
{
    char buf[4] = "xyz";
    cr_expect_str_eq(tcb_size_format(65536, buf, sizeof buf), "64K");
    cr_expect_eq(tcb_size_format(65536, buf, 0), buf, "n == 0 writes nothing");
    cr_expect_str_eq(buf, "64K");
}

/* A tcb_params as a case carries it: one item per spec row. */
static tcb_params sample(tcb_param items[5])
{
    items[0] = (tcb_param){.spec = &spec_size, .v.i = 4096};
    items[1] = (tcb_param){.spec = &spec_int, .v.i = -1};
    items[2] = (tcb_param){.spec = &spec_float, .v.f = 0.25};
    items[3] = (tcb_param){.spec = &spec_bool, .v.b = true};
    items[4] = (tcb_param){.spec = &spec_enum, .v.choice = 1};
    return (tcb_params){.items = items, .count = 5};
}

Test(params, lookups_by_name)
{
    tcb_param items[5];
    tcb_params p = sample(items);
    cr_expect_eq(tcb_params_int(&p, "size"), 4096);
    cr_expect_eq(tcb_params_int(&p, "rank"), -1);
    cr_expect_float_eq(tcb_params_float(&p, "seconds"), 0.25, 1e-15);
    cr_expect(tcb_params_bool(&p, "inplace"));
    cr_expect_str_eq(tcb_params_enum(&p, "color"), "green");
    cr_expect_eq(tcb_params_choice(&p, "color"), 1);
}

Test(params, lookup_of_undeclared_name_aborts, .signal = SIGABRT)
{
    tcb_param items[5];
    tcb_params p = sample(items);
    tcb_params_int(&p, "sise");
}

Test(params, lookup_with_wrong_type_aborts, .signal = SIGABRT)
{
    tcb_param items[5];
    tcb_params p = sample(items);
    tcb_params_float(&p, "size");
}

Test(params, enum_lookup_of_an_int_aborts, .signal = SIGABRT)
{
    tcb_param items[5];
    tcb_params p = sample(items);
    tcb_params_enum(&p, "rank");
}

Test(params, name_keeps_the_text_and_refuses_odd_characters)
{
    static const tcb_param_spec spec_name = {"model", TCB_PARAM_NAME, "gpt2-124m", 0, NULL, ""};
    tcb_param p;
    cr_expect(tcb_param_value(&spec_name, "llama3.1-405b", &p));
    cr_expect_str_eq(p.v.name, "llama3.1-405b");
    cr_expect_eq(p.spec, &spec_name);
    static const char *const bad[] = {"", "a b", "../etc/passwd", "x/y", "name$",
                                      "a-name-that-is-far-longer-than-the-limit-of-39"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(tcb_param_value(&spec_name, bad[i], &p), "'%s' should be rejected",
                      bad[i]);
}
