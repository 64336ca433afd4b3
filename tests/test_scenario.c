/* Cost scenarios (reports/scenario.c): the shipped default, and one clear
 * "FILE:LINE:COLUMN: what" for each kind of bad file. */
#include "scenario.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(scenario, the_default_loads_with_a_source_for_every_figure)
{
    tcb_scenario s;
    tcb_diag d = {{0}};
    cr_assert_eq(tcb_scenario_load(NULL, &s, &d), TCB_OK, "%s", d.msg);
    cr_expect_eq(s.devices, 16384);
    cr_expect_eq((long long)s.tp * s.pp * s.dp * s.cp, s.devices);
    for (int k = 0; k < TCB_SCN_COUNT; k++)
        cr_expect(s.f[k].source[0] != '\0', "%s has no source", tcb_scenario_keys[k]);
    cr_expect(s.f[TCB_SCN_OVERLAP].assumed);
    cr_expect(s.f[TCB_SCN_ASSUMED_MFU].assumed);
    cr_expect_not(s.f[TCB_SCN_PUE].assumed);
    cr_expect_float_eq(s.f[TCB_SCN_GOODPUT].value, 0.90, 1e-12);
    cr_expect_eq(s.seq, 8192);
    cr_expect_eq(s.virtual_stages, 4);
    cr_expect_float_eq(s.batch_tokens, 16777216.0, 0.5);
}

/* The default file with one line replaced, written to a temporary file. */
static char *variant(const char *from, const char *to)
{
    FILE *in = fopen(tcb_scenario_default_path(), "r");
    cr_assert_not_null(in);
    static char text[1 << 14];
    size_t n = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[n] = '\0';
    char *at = strstr(text, from);
    cr_assert_not_null(at, "'%s' is not in the default scenario", from);
    static char path[64];
    strcpy(path, "/tmp/tcb-scenario-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *out = fdopen(fd, "w");
    fwrite(text, 1, (size_t)(at - text), out);
    fputs(to, out);
    fputs(at + strlen(from), out);
    fclose(out);
    return path;
}

static void expect_error(const char *from, const char *to, const char *want)
{
    char *path = variant(from, to);
    tcb_scenario s;
    tcb_diag d = {{0}};
    cr_expect_eq(tcb_scenario_load(path, &s, &d), TCB_ERR_CONFIG);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s:", path);
    cr_expect(strncmp(d.msg, prefix, strlen(prefix)) == 0, "message names the file: %s", d.msg);
    cr_expect(strstr(d.msg, want) != NULL, "got '%s', want '%s'", d.msg, want);
    unlink(path);
}

Test(scenario, bad_files_name_file_line_column_and_what)
{
    expect_error("  dp: 128\n", "  dp: 64\n",
                 ":7:3: the plan uses tp x pp x dp x cp = 8192 devices, not the 16384");
    expect_error("    value: 1.1\n", "    value: 0.9\n", ":29:12: figure 'pue' must be >= 1, got 0.9");
    expect_error("devices: 16384\n", "devices: many\n", ":5:10: devices must be a number, got many");
    expect_error("  batch_tokens: 16777216\n", "  batch_tokens: 1000000\n",
                 "batch_tokens 1000000 is not a whole multiple of seq x dp x microbatches = "
                 "16777216");
    expect_error("    value: 0.90\n", "    value: 1.5\n",
                 "figure 'goodput' must be in (0, 1], got 1.5");
    expect_error("name: frontier-16k\n", "name: frontier-16k\ncolour: red\n",
                 "unknown key 'colour'");
    expect_error("    source: \"Epoch AI (2024): cluster interconnect 19% of hardware cost\"\n", "",
                 "figure 'interconnect_share' needs 'source'");
    char longer[600];
    snprintf(longer, sizeof longer, "    source: \"%0500d\"\n", 0);
    expect_error("    source: \"Epoch AI, The rising costs of training frontier AI models (2024): "
                 "PUE 1.1 for hyperscalers\"\n",
                 longer,
                 ":30:13: figure 'pue' source is longer than 399 characters");
}
