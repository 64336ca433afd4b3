/* The ready nightly pipelines of ci/nightly/: what each must keep for the
 * gate to work. GitHub: a schedule and a manual trigger, a self-hosted
 * runner, nightly.sh run without continue-on-error, the database outside the
 * wiped workspace, artifacts and the JUnit report published always, the job
 * summary written. GitLab: scheduled, tagged, artifacts always with the JUnit
 * and metrics reports. The shell scripts parse, and the Slurm script's
 * #SBATCH lines come before its first command (sbatch stops reading there).
 *
 * Each checker returns NULL or what is missing, so the same checkers run on
 * the real files (nothing missing) and on copies with one part broken (that
 * part named): a checker that stops looking would fail the second half. */
#include "yaml_doc.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPO TCB_FIXTURES "/../.."
#define GITHUB REPO "/ci/nightly/github-nightly.yml"
#define GITLAB REPO "/ci/nightly/gitlab-nightly.yml"
#define NIGHTLY REPO "/ci/nightly/nightly.sh"
#define SBATCH REPO "/ci/nightly/tcbench-nightly.sbatch"

/* The whole file; the caller frees it. */
static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    tcb_diag d;
    if (tcb_yaml_read_file(path, &text, &len, NULL, &d) != TCB_OK)
        cr_assert_fail("%s", d.msg);
    return text;
}

/* text with the first `from` replaced by `to` (must be there); malloc'd. */
static char *replaced(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    cr_assert_not_null(at, "the test's anchor '%s' is no longer in the file", from);
    size_t head = (size_t)(at - text), nf = strlen(from), nt = strlen(to);
    char *out = malloc(strlen(text) - nf + nt + 1);
    cr_assert_not_null(out);
    memcpy(out, text, head);
    memcpy(out + head, to, nt);
    strcpy(out + head + nt, at + nf);
    return out;
}

/* ---- YAML walking ------------------------------------------------------------- */

typedef struct {
    yaml_document_t doc;
    tcb_yaml_src src;
    yaml_node_t *root;
} ydoc;

static void ydoc_load(ydoc *y, const char *name, const char *text)
{
    memset(y, 0, sizeof *y);
    y->src.name = name;
    y->src.doc = &y->doc;
    tcb_diag d;
    if (tcb_yaml_load(&y->src, "a workflow", text, strlen(text), &d) != TCB_OK)
        cr_assert_fail("%s", d.msg);
    y->root = yaml_document_get_root_node(&y->doc);
}

static void ydoc_free(ydoc *y) { yaml_document_delete(&y->doc); }

/* map[key], or NULL when map is not a mapping or has no such key. */
static yaml_node_t *get(ydoc *y, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    return tcb_yaml_map_get(&y->src, map, key);
}

static const char *str(yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? tcb_yaml_scalar(n) : NULL;
}

static int seq_len(yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SEQUENCE_NODE
               ? (int)(n->data.sequence.items.top - n->data.sequence.items.start)
               : 0;
}

static yaml_node_t *seq_at(ydoc *y, yaml_node_t *n, int i)
{
    return yaml_document_get_node(&y->doc, n->data.sequence.items.start[i]);
}

/* The scalar n, or some scalar item of the sequence n, contains needle. */
static bool mentions(ydoc *y, yaml_node_t *n, const char *needle)
{
    if (str(n) != NULL)
        return strstr(str(n), needle) != NULL;
    for (int i = 0; i < seq_len(n); i++)
        if (mentions(y, seq_at(y, n, i), needle))
            return true;
    return false;
}

/* Some item of the scalar or sequence n is exactly word. */
static bool lists(ydoc *y, yaml_node_t *n, const char *word)
{
    if (str(n) != NULL)
        return strcmp(str(n), word) == 0;
    for (int i = 0; i < seq_len(n); i++)
        if (lists(y, seq_at(y, n, i), word))
            return true;
    return false;
}

static bool contains(const char *s, const char *needle)
{
    return s != NULL && strstr(s, needle) != NULL;
}

/* Five space-separated fields, as cron has. */
static bool is_cron(const char *s)
{
    if (s == NULL)
        return false;
    int fields = 0;
    for (const char *p = s; *p != '\0';) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        fields++;
        while (*p != '\0' && *p != ' ')
            p++;
    }
    return fields == 5;
}

/* An absolute path that does not point into the CI job's working copy. */
static bool persistent_path(const char *p)
{
    return p != NULL && p[0] == '/' && strstr(p, "workspace") == NULL &&
           strstr(p, "CI_PROJECT_DIR") == NULL && strstr(p, "CI_BUILDS_DIR") == NULL;
}

/* The files every pipeline must keep from a night. */
static const char *const night_files[] = {"runs/",        "junit.xml",    "summary.md",
                                          "compare.json", "metrics.prom", "trend.txt",
                                          NULL};

/* A line of shell, not a comment, appends to the job summary. */
static bool script_writes_summary(const char *sh)
{
    char *copy = strdup(sh), *save = NULL;
    bool found = false;
    for (char *line = strtok_r(copy, "\n", &save); line && !found;
         line = strtok_r(NULL, "\n", &save)) {
        line += strspn(line, " \t");
        found = line[0] != '#' && strstr(line, ">>") != NULL &&
                strstr(line, "GITHUB_STEP_SUMMARY") != NULL;
    }
    free(copy);
    return found;
}

/* ---- the checkers ----------------------------------------------------------------- */

static const char *check_github(ydoc *y, const char *nightly_sh)
{
    yaml_node_t *on = get(y, y->root, "on");
    if (on == NULL)
        return "no on:";
    yaml_node_t *schedule = get(y, on, "schedule");
    bool cron = false;
    for (int i = 0; i < seq_len(schedule); i++)
        cron = cron || is_cron(str(get(y, seq_at(y, schedule, i), "cron")));
    if (!cron)
        return "on.schedule has no cron of five fields";
    if (get(y, on, "workflow_dispatch") == NULL)
        return "on has no workflow_dispatch";

    yaml_node_t *jobs = get(y, y->root, "jobs"), *job = NULL;
    if (jobs == NULL || jobs->type != YAML_MAPPING_NODE)
        return "no jobs:";
    for (yaml_node_pair_t *p = jobs->data.mapping.pairs.start;
         p < jobs->data.mapping.pairs.top && job == NULL; p++) {
        yaml_node_t *j = yaml_document_get_node(&y->doc, p->value);
        if (lists(y, get(y, j, "runs-on"), "self-hosted"))
            job = j;
    }
    if (job == NULL)
        return "no job runs-on a self-hosted runner";

    yaml_node_t *steps = get(y, job, "steps");
    bool upload = false, junit = false, nightly = false, summary = false;
    const char *db = NULL;
    for (int i = 0; i < seq_len(steps); i++) {
        yaml_node_t *s = seq_at(y, steps, i);
        const char *uses = str(get(y, s, "uses")), *run = str(get(y, s, "run"));
        bool always = contains(str(get(y, s, "if")), "always()");
        if (contains(uses, "actions/upload-artifact@") && always) {
            yaml_node_t *path = get(y, get(y, s, "with"), "path");
            bool all = true;
            for (int k = 0; night_files[k] != NULL; k++)
                all = all && mentions(y, path, night_files[k]);
            upload = upload || all;
        }
        if (contains(uses, "junit") && always)
            junit = true;
        if (contains(run, "ci/nightly/nightly.sh") && contains(run, "--db")) {
            /* The step must fail the job on exit 1. */
            const char *coe = str(get(y, s, "continue-on-error"));
            nightly = coe == NULL || strcmp(coe, "false") == 0;
            if (str(get(y, get(y, s, "env"), "TCB_DB")) != NULL)
                db = str(get(y, get(y, s, "env"), "TCB_DB"));
        }
        if (contains(run, "GITHUB_STEP_SUMMARY"))
            summary = true;
    }
    if (!upload)
        return "no actions/upload-artifact step with if: always() keeping the night's files";
    if (!junit)
        return "no JUnit report step with if: always()";
    if (!nightly)
        return "no step runs ci/nightly/nightly.sh --db (without continue-on-error)";
    if (!summary && !script_writes_summary(nightly_sh))
        return "neither a step nor nightly.sh writes GITHUB_STEP_SUMMARY";
    if (db == NULL)
        db = str(get(y, get(y, job, "env"), "TCB_DB"));
    if (db == NULL)
        db = str(get(y, get(y, y->root, "env"), "TCB_DB"));
    if (!persistent_path(db))
        return "TCB_DB is not an absolute path outside the workspace";
    return NULL;
}

static const char *check_gitlab(ydoc *y)
{
    yaml_node_t *job = NULL;
    if (y->root == NULL || y->root->type != YAML_MAPPING_NODE)
        return "not a mapping of jobs";
    for (yaml_node_pair_t *p = y->root->data.mapping.pairs.start;
         p < y->root->data.mapping.pairs.top && job == NULL; p++) {
        yaml_node_t *j = yaml_document_get_node(&y->doc, p->value);
        if (mentions(y, get(y, j, "script"), "ci/nightly/nightly.sh"))
            job = j;
    }
    if (job == NULL)
        return "no job whose script runs ci/nightly/nightly.sh";

    yaml_node_t *rules = get(y, job, "rules");
    bool scheduled = false;
    for (int i = 0; i < seq_len(rules); i++) {
        const char *cond = str(get(y, seq_at(y, rules, i), "if"));
        scheduled = scheduled || (contains(cond, "$CI_PIPELINE_SOURCE") &&
                                  (contains(cond, "\"schedule\"") || contains(cond, "'schedule'")));
    }
    if (!scheduled)
        return "no rule for scheduled pipelines";
    if (seq_len(get(y, job, "tags")) == 0)
        return "no tags choosing the GPU runner";

    yaml_node_t *art = get(y, job, "artifacts"), *reports = get(y, art, "reports");
    const char *when = str(get(y, art, "when"));
    if (when == NULL || strcmp(when, "always") != 0)
        return "artifacts are not kept when: always";
    if (!mentions(y, get(y, reports, "junit"), "junit.xml"))
        return "no reports: junit: junit.xml";
    if (!mentions(y, get(y, reports, "metrics"), "metrics.prom"))
        return "no reports: metrics: metrics.prom";
    for (int k = 0; night_files[k] != NULL; k++)
        if (!mentions(y, get(y, art, "paths"), night_files[k]))
            return "artifacts: paths leave out a file of the night";

    yaml_node_t *vars = get(y, job, "variables");
    const char *db = str(get(y, vars, "TCB_DB"));
    if (db != NULL && strncmp(db, "$TCB_STATE_DIR", 14) == 0)
        db = str(get(y, vars, "TCB_STATE_DIR"));
    if (!persistent_path(db))
        return "TCB_DB is not an absolute path outside the project directory";
    return NULL;
}

static const char *check_sbatch(const char *sh)
{
    static const char *const options[] = {"--job-name=", "--nodes=", "--ntasks-per-node=",
                                          "--time=", "--output=", NULL};
    bool seen_command = false, seen[5] = {false};
    char *copy = strdup(sh), *save = NULL;
    const char *problem = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && !problem;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "#SBATCH", 7) == 0) {
            if (seen_command)
                problem = "an #SBATCH line after the first command (sbatch ignores it)";
            for (int k = 0; options[k] != NULL; k++)
                seen[k] = seen[k] || strstr(line, options[k]) != NULL;
            continue;
        }
        char *t = line + strspn(line, " \t");
        if (t[0] == '\0' || t[0] == '#')
            continue;
        seen_command = true;
        if (strstr(t, "sbatch ") != NULL)
            problem = "the script submits a job itself (use scrontab or cron)";
    }
    free(copy);
    for (int k = 0; options[k] != NULL && problem == NULL; k++)
        if (!seen[k])
            problem = "an #SBATCH option is missing (job name, nodes, tasks, time, output)";
    if (problem == NULL && strstr(sh, "srun --mpi=pmix") == NULL)
        problem = "srun --mpi=pmix is not documented";
    if (problem == NULL && strstr(sh, "mpirun -np ${TCB_RANKS:-2}") == NULL)
        problem = "no fallback to mpirun -np ${TCB_RANKS:-2} outside Slurm";
    return problem;
}

/* bash -n on text (written to a temporary file). */
static int bash_n(const char *text)
{
    char path[] = "/tmp/tcb-pipelines-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "bash -n %s 2>/dev/null", path);
    int st = system(cmd);
    unlink(path);
    return st;
}

/* ---- the real files ----------------------------------------------------------------- */

Test(pipelines, github_workflow_has_what_the_gate_needs)
{
    char *text = slurp(GITHUB), *sh = slurp(NIGHTLY);
    ydoc y;
    ydoc_load(&y, GITHUB, text);
    const char *problem = check_github(&y, sh);
    cr_expect_null(problem, "%s: %s", GITHUB, problem);
    ydoc_free(&y);
    free(text);
    free(sh);
}

Test(pipelines, github_workflow_says_where_it_belongs)
{
    char *text = slurp(GITHUB);
    cr_expect(strstr(text, ".github/workflows/") != NULL,
              "the workflow's comment should say to copy it to .github/workflows/");
    free(text);
}

Test(pipelines, gitlab_job_has_what_the_gate_needs)
{
    char *text = slurp(GITLAB);
    ydoc y;
    ydoc_load(&y, GITLAB, text);
    const char *problem = check_gitlab(&y);
    cr_expect_null(problem, "%s: %s", GITLAB, problem);
    ydoc_free(&y);
    free(text);
}

Test(pipelines, scripts_parse)
{
    char *sh = slurp(NIGHTLY), *sb = slurp(SBATCH);
    cr_expect_eq(bash_n(sh), 0, "bash -n %s failed", NIGHTLY);
    cr_expect_eq(bash_n(sb), 0, "bash -n %s failed", SBATCH);
    cr_expect(access(NIGHTLY, X_OK) == 0, "%s is not executable", NIGHTLY);
    free(sh);
    free(sb);
}

Test(pipelines, sbatch_directives_before_the_first_command)
{
    char *sb = slurp(SBATCH);
    const char *problem = check_sbatch(sb);
    cr_expect_null(problem, "%s: %s", SBATCH, problem);
    free(sb);
}

Test(pipelines, nightly_writes_the_step_summary)
{
    char *sh = slurp(NIGHTLY);
    cr_expect(script_writes_summary(sh), "nightly.sh does not append to GITHUB_STEP_SUMMARY");
    free(sh);
}

/* ---- and copies with one part broken: the checkers notice ------------------------------ */

typedef struct {
    const char *from, *to; /* the one change made to the file */
} breakage;

static const breakage github_breaks[] = {
    {"  workflow_dispatch:", "  workflow_call:"},
    {"cron: \"", "timezone: \""},
    {"[self-hosted, linux, gpu]", "[ubuntu-latest]"},
    {"uses: actions/upload-artifact@v4", "uses: actions/cache@v4"},
    {"if: always()\n        uses: actions/upload", "if: success()\n        uses: actions/upload"},
    {"if: always()\n        uses: mikepenz", "if: success()\n        uses: mikepenz"},
    {"uses: mikepenz/action-junit-report@v4", "uses: actions/labeler@v5"},
    {"ci/nightly/nightly.sh \"$TCB_SUITE\"", "echo \"$TCB_SUITE\""},
    {"id: nightly", "id: nightly\n        continue-on-error: true"},
    {"TCB_DB: /var/lib/tcbench/history.db", "TCB_DB: history.db"},
    {"${{ env.TCB_OUT }}/junit.xml\n", ""},
};

Test(pipelines, github_checker_notices_each_missing_part)
{
    char *text = slurp(GITHUB), *sh = slurp(NIGHTLY);
    for (size_t i = 0; i < sizeof github_breaks / sizeof github_breaks[0]; i++) {
        char *broken = replaced(text, github_breaks[i].from, github_breaks[i].to);
        ydoc y;
        ydoc_load(&y, "broken github workflow", broken);
        cr_expect_not_null(check_github(&y, sh), "not noticed: '%s' -> '%s'",
                           github_breaks[i].from, github_breaks[i].to);
        ydoc_free(&y);
        free(broken);
    }
    /* No summary written anywhere. */
    char *quiet = replaced(sh, ">>\"$GITHUB_STEP_SUMMARY\"", ">/dev/null");
    ydoc y;
    ydoc_load(&y, GITHUB, text);
    cr_expect_not_null(check_github(&y, quiet), "a night without a job summary not noticed");
    ydoc_free(&y);
    free(quiet);
    free(text);
    free(sh);
}

static const breakage gitlab_breaks[] = {
    {"$CI_PIPELINE_SOURCE == \"schedule\"", "$CI_PIPELINE_SOURCE == \"push\""},
    {"tags: [gpu, tcbench]", "tags: []"},
    {"when: always", "when: on_success"},
    {"junit: nightly-out/junit.xml", "dotenv: nightly-out/night.env"},
    {"metrics: nightly-out/metrics.prom", "dotenv: nightly-out/night.env"},
    {"      - nightly-out/runs/\n", ""},
    {"TCB_STATE_DIR: /var/lib/tcbench", "TCB_STATE_DIR: $CI_PROJECT_DIR/state"},
    {"ci/nightly/nightly.sh \"$TCB_SUITE\"", "echo \"$TCB_SUITE\""},
};

Test(pipelines, gitlab_checker_notices_each_missing_part)
{
    char *text = slurp(GITLAB);
    for (size_t i = 0; i < sizeof gitlab_breaks / sizeof gitlab_breaks[0]; i++) {
        char *broken = replaced(text, gitlab_breaks[i].from, gitlab_breaks[i].to);
        ydoc y;
        ydoc_load(&y, "broken gitlab job", broken);
        cr_expect_not_null(check_gitlab(&y), "not noticed: '%s' -> '%s'", gitlab_breaks[i].from,
                           gitlab_breaks[i].to);
        ydoc_free(&y);
        free(broken);
    }
    free(text);
}

static const breakage sbatch_breaks[] = {
    {"#SBATCH --job-name", "echo starting\n#SBATCH --job-name"},
    {"#SBATCH --time=", "#XBATCH --time="},
    {"srun --mpi=pmix", "srun"},
    {"set -euo pipefail\n", "set -euo pipefail\nsbatch --begin=now+1day \"$0\"\n"},
};

Test(pipelines, sbatch_checker_notices_each_missing_part)
{
    char *sb = slurp(SBATCH);
    for (size_t i = 0; i < sizeof sbatch_breaks / sizeof sbatch_breaks[0]; i++) {
        char *broken = replaced(sb, sbatch_breaks[i].from, sbatch_breaks[i].to);
        cr_expect_not_null(check_sbatch(broken), "not noticed: '%s' -> '%s'",
                           sbatch_breaks[i].from, sbatch_breaks[i].to);
        free(broken);
    }
    /* And bash -n notices a script that no longer parses. */
    char *broken = replaced(sb, "esac", "");
    cr_expect_neq(bash_n(broken), 0, "bash -n passed a script without its esac");
    free(broken);
    free(sb);
}
