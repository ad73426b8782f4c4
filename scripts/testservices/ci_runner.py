#!/usr/bin/env python3
"""Runs CI configurations the way GitHub's and GitLab's runners do, for the tests.

    ci_runner.py action ACTION_DIR --workspace DIR --state DIR [--input NAME=VALUE ...]
    ci_runner.py github-job DOC.md INDEX --action ACTION_DIR --workspace DIR --state DIR [--skip REGEX]
    ci_runner.py gitlab-job DOC.md JOB --workspace DIR [--variable NAME=VALUE ...] [--skip REGEX]

`action` runs a composite action (action.yml); `github-job` the only job of the INDEX-th YAML
block of DOC.md that has `jobs:` (actions/checkout stood in for by the workspace, a step that
uses `…/swift-images@…` by the action in ACTION_DIR, `run:` steps run); `gitlab-job` the job
JOB of the YAML block of DOC.md that defines it (`variables`, with `$CI_PROJECT_DIR` and
`--variable` overrides, then `before_script` and `script` in one shell, stopping at the first
failing line, as GitLab does; `cache:` is not stood in for: a test puts what a restored cache
would hold in the workspace). `--skip` leaves out the commands it matches (`swift test`, when
the workspace is not a package of its own).

For GitHub, what a runner gives each `run:` step is given here: `${{ }}` expressions (inputs,
steps.ID.outputs, github/runner values, ==, !=, &&, ||, !, success(), failure(), always())
substituted in `run`, `env` and `with`; the environment files GITHUB_OUTPUT (fresh per step,
`NAME=VALUE` and `NAME<<DELIMITER` forms), GITHUB_ENV and GITHUB_PATH (carried to later steps, of
the action and of the job), GITHUB_STEP_SUMMARY (STATE/step-summary.md); RUNNER_TEMP,
RUNNER_TOOL_CACHE, RUNNER_OS, RUNNER_ARCH and GITHUB_ACTION_PATH; `bash --noprofile --norc -eo
pipefail` (`sh -e` in a job with a `container:`) in the workspace; `if:` (success() && … unless
it names a status function). The `uses:` steps of actions/cache are stood in for: restore
copies a directory back from STATE/caches/KEY (an exact key only) and sets cache-hit, save
copies it there unless the key exists (caches are immutable). The state directory is the
runner's and the cache service's, so a second run with the same one is the next job.

Prints a JSON object on stdout (the action's outputs; for GitLab, the artifacts' paths and
whether each exists); the commands' output goes to stderr. Exits 1 when a step or line failed.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml


class Context:
    def __init__(self, inputs, action_path, workspace, state):
        self.inputs = inputs
        self.steps = {}
        self.github = {"action_path": action_path, "workspace": workspace}
        self.runner = {"os": "Linux", "arch": "X64", "temp": os.path.join(state, "temp"),
                       "tool_cache": os.path.join(state, "tool-cache")}
        self.failed = False

    def lookup(self, path):
        parts = path.split(".")
        if parts[0] == "inputs":
            return self.inputs.get(parts[1], "")
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        if parts[0] in ("github", "runner") and len(parts) == 2:
            return getattr(self, parts[0]).get(parts[1], "")
        if parts[0] == "env" and len(parts) == 2:
            return os.environ.get(parts[1], "")
        raise SystemExit(f"action_runner: unsupported context {path!r}")


TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|"
                   r"(?P<call>(?:success|failure|always|cancelled)\(\))|(?P<name>[A-Za-z_][\w.-]*))")


def evaluate(expression, context):
    """Evaluates a GitHub expression (the part of the language action.yml uses)."""
    tokens, position = [], 0
    expression = expression.strip()
    while position < len(expression):
        match = TOKEN.match(expression, position)
        if not match or match.end() == position:
            raise SystemExit(f"action_runner: cannot read expression {expression!r} at {position}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    tokens.append(("end", None))
    index = 0

    def peek():
        return tokens[index]

    def take():
        nonlocal index
        index += 1
        return tokens[index - 1]

    def primary():
        kind, text = take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "call":
            return {"success()": not context.failed, "failure()": context.failed,
                    "always()": True, "cancelled()": False}[text]
        if kind == "name":
            literals = {"true": True, "false": False, "null": ""}
            return literals[text] if text in literals else context.lookup(text)
        if text == "!":
            return not truthy(primary())
        if text == "(":
            value = disjunction()
            take()
            return value
        raise SystemExit(f"action_runner: unexpected {text!r} in {expression!r}")

    def comparison():
        left = primary()
        while peek()[1] in ("==", "!="):
            operator = take()[1]
            right = primary()
            same = str(left).lower() == str(right).lower() if isinstance(left, str) and isinstance(right, str) \
                else left == right
            left = same if operator == "==" else not same
        return left

    def conjunction():
        left = comparison()
        while peek()[1] == "&&":
            take()
            right = comparison()
            left = right if truthy(left) else left
        return left

    def disjunction():
        left = conjunction()
        while peek()[1] == "||":
            take()
            right = conjunction()
            left = left if truthy(left) else right
        return left

    value = disjunction()
    if peek()[0] != "end":
        raise SystemExit(f"action_runner: trailing text in {expression!r}")
    return value


def truthy(value):
    return value not in (False, "", 0, None)


def substitute(text, context):
    def replace(match):
        value = evaluate(match.group(1), context)
        return ("true" if value else "false") if isinstance(value, bool) else str(value)
    return re.sub(r"\$\{\{(.*?)\}\}", replace, str(text))


def read_outputs(path):
    outputs, lines = {}, open(path).read().split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            while lines[index] != delimiter:
                value.append(lines[index])
                index += 1
            index += 1
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


def stand_in(uses, inputs, state):
    """actions/cache/restore and actions/cache/save against a directory per key."""
    name = uses.split("@")[0]
    path = os.path.expanduser(inputs["path"])
    stored = os.path.join(state, "caches", inputs["key"].replace("/", "_"))
    if name == "actions/cache/restore":
        if not os.path.isdir(stored):
            print(f"Cache not found for input keys: {inputs['key']}", file=sys.stderr)
            return {"cache-hit": "false"}
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(stored, path, symlinks=True)
        print(f"Cache restored from key: {inputs['key']}", file=sys.stderr)
        return {"cache-hit": "true", "cache-primary-key": inputs["key"], "cache-matched-key": inputs["key"]}
    if name == "actions/cache/save":
        if os.path.isdir(stored):
            print(f"Failed to save: cache entry {inputs['key']} already exists", file=sys.stderr)
        else:
            shutil.copytree(path, stored, symlinks=True)
            print(f"Cache saved with key: {inputs['key']}", file=sys.stderr)
        return {}
    raise SystemExit(f"action_runner: no stand-in for {uses}")


class GitHubRunner:
    """One job on one runner: the environment files its steps share, and the cache service."""

    def __init__(self, workspace, state, shell):
        self.workspace, self.state, self.shell = workspace, state, shell
        self.temp = os.path.join(state, "temp")
        self.tool_cache = os.path.join(state, "tool-cache")
        for directory in (self.temp, self.tool_cache):
            os.makedirs(directory, exist_ok=True)
        self.files = tempfile.mkdtemp(dir=self.temp)
        self.env_file, self.path_file = os.path.join(self.files, "env"), os.path.join(self.files, "path")
        self.summary = os.path.join(state, "step-summary.md")
        self.counter = 0
        for path in (self.env_file, self.path_file):
            open(path, "w").close()

    SHELLS = {"bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], "sh": ["sh", "-e"]}

    def run(self, script, step_env, action_path="", shell=None):
        """Runs one `run:` step; returns its exit status and outputs."""
        self.counter += 1
        output_file = os.path.join(self.files, f"output-{self.counter}")
        open(output_file, "w").close()
        environment = dict(os.environ)
        environment.update(read_outputs(self.env_file))
        added = [line for line in open(self.path_file).read().split("\n") if line]
        environment["PATH"] = ":".join(reversed(added)) + (":" if added else "") + environment["PATH"]
        environment.update({
            "GITHUB_ACTION_PATH": action_path, "GITHUB_WORKSPACE": self.workspace,
            "GITHUB_OUTPUT": output_file, "GITHUB_ENV": self.env_file, "GITHUB_PATH": self.path_file,
            "GITHUB_STEP_SUMMARY": self.summary, "RUNNER_TEMP": self.temp,
            "RUNNER_TOOL_CACHE": self.tool_cache, "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
        })
        environment.update(step_env)
        path = os.path.join(self.files, f"step-{self.counter}.sh")
        with open(path, "w") as file:
            file.write(script)
        status = subprocess.call((self.SHELLS[shell] if shell else self.shell) + [path], cwd=self.workspace, env=environment, stdout=sys.stderr)
        return status, read_outputs(output_file)

    def run_action(self, action_path, given_inputs):
        """Runs a composite action; returns whether it succeeded, and its outputs."""
        with open(os.path.join(action_path, "action.yml")) as file:
            action = yaml.safe_load(file)
        inputs = {name: as_string(spec.get("default", "")) for name, spec in action.get("inputs", {}).items()}
        for name, value in given_inputs.items():
            if name not in inputs:
                raise SystemExit(f"ci_runner: the action has no input {name!r}")
            inputs[name] = as_string(value)
        context = Context(inputs, action_path, self.workspace, self.state)
        self.run_steps(action["runs"]["steps"], context, action_path)
        outputs = {name: substitute(spec["value"], context) for name, spec in action.get("outputs", {}).items()}
        return not context.failed, outputs

    def run_steps(self, steps, context, action_path="", action=None, skip=None):
        for number, step in enumerate(steps, 1):
            name = step.get("id") or step.get("uses") or step["run"].split("\n")[0]
            condition = re.sub(r"^\s*\$\{\{(.*)\}\}\s*$", r"\1", str(step.get("if", "success()")))
            if not re.search(r"\b(success|failure|always|cancelled)\(\)", condition):
                condition = f"success() && ({condition})"
            if not truthy(evaluate(condition, context)):
                print(f"--- step {number} ({name}): skipped", file=sys.stderr)
                continue
            print(f"--- step {number} ({name})", file=sys.stderr)
            key = step.get("id", f"#{number}")
            with_inputs = {k: substitute(as_string(v), context) for k, v in (step.get("with") or {}).items()}
            if "uses" in step:
                uses = step["uses"]
                if uses.startswith("actions/checkout@"):
                    print("(the workspace stands in for the checkout)", file=sys.stderr)
                elif action and re.search(r"/swift-images@", uses):
                    succeeded, outputs = self.run_action(action, with_inputs)
                    context.steps[key] = outputs
                    context.failed = context.failed or not succeeded
                else:
                    context.steps[key] = stand_in(uses, with_inputs, self.state)
                continue
            if skip and re.search(skip, step["run"]):
                print(f"(left out: {step['run']!r})", file=sys.stderr)
                continue
            step_env = {k: substitute(as_string(v), context) for k, v in (step.get("env") or {}).items()}
            status, outputs = self.run(substitute(step["run"], context), step_env, action_path, step.get("shell"))
            context.steps[key] = outputs
            if status != 0:
                print(f"--- step {number} ({name}) failed with exit code {status}", file=sys.stderr)
                context.failed = True


def as_string(value):
    """An input as GitHub passes it: YAML's booleans as `true`/`false`."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def yaml_blocks(markdown_path):
    text = open(markdown_path).read()
    return [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M)]


def github_job(arguments):
    workflows = [block for block in yaml_blocks(arguments.document) if isinstance(block, dict) and "jobs" in block]
    workflow = workflows[arguments.which]
    (job,) = workflow["jobs"].values()
    shell = GitHubRunner.SHELLS["sh" if "container" in job else "bash"]
    runner = GitHubRunner(arguments.workspace, arguments.state, shell)
    context = Context({}, "", arguments.workspace, arguments.state)
    runner.run_steps(job["steps"], context, action=os.path.abspath(arguments.action), skip=arguments.skip)
    print(json.dumps({"container": job.get("container", "")}))
    return 1 if context.failed else 0


def gitlab_job(arguments):
    jobs = [block[arguments.which] for block in yaml_blocks(arguments.document)
            if isinstance(block, dict) and isinstance(block.get(arguments.which), dict)]
    (job,) = jobs
    workspace = arguments.workspace
    variables = {"CI_PROJECT_DIR": workspace, "CI": "true", "GITLAB_CI": "true"}
    for name, value in (job.get("variables") or {}).items():
        variables[name] = re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), ""), as_string(value))
    for item in arguments.variable:
        name, value = item.split("=", 1)
        variables[name] = value
    lines = []
    for line in (job.get("before_script") or []) + job["script"]:
        if arguments.skip and re.search(arguments.skip, line):
            lines.append(f"echo {json.dumps('(left out: ' + line + ')')}")
            continue
        # As GitLab's shell executor: the command echoed, then run; the first failure ends the job.
        lines.append(f"echo {shlex.quote('$ ' + line)}\n{line}")
    environment = dict(os.environ)
    environment.update(variables)
    status = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(lines)],
                             cwd=workspace, env=environment, stdout=sys.stderr)
    artifacts = job.get("artifacts") or {}
    when = artifacts.get("when", "on_success")
    uploaded = when == "always" or (when == "on_success") == (status == 0)
    paths = {path: os.path.exists(os.path.join(workspace, path)) for path in artifacts.get("paths", [])}
    print(json.dumps({"artifacts": paths if uploaded else {}, "status": status}))
    return 1 if status != 0 else 0


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    action = commands.add_parser("action")
    action.add_argument("action")
    action.add_argument("--input", action="append", default=[])
    github = commands.add_parser("github-job")
    github.add_argument("document")
    github.add_argument("which", type=int)
    github.add_argument("--action", required=True)
    gitlab = commands.add_parser("gitlab-job")
    gitlab.add_argument("document")
    gitlab.add_argument("which")
    gitlab.add_argument("--variable", action="append", default=[])
    for command in (action, github, gitlab):
        command.add_argument("--workspace", required=True)
        command.add_argument("--skip")
    for command in (action, github):
        command.add_argument("--state", required=True)
    arguments = parser.parse_args()

    if arguments.command == "github-job":
        return github_job(arguments)
    if arguments.command == "gitlab-job":
        return gitlab_job(arguments)
    runner = GitHubRunner(arguments.workspace, arguments.state, GitHubRunner.SHELLS["bash"])
    inputs = dict(item.split("=", 1) for item in arguments.input)
    succeeded, outputs = runner.run_action(os.path.abspath(arguments.action), inputs)
    json.dump(outputs, sys.stdout, sort_keys=True)
    print()
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
