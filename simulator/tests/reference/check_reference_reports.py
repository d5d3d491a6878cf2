#!/usr/bin/env python3
"""Check that naccs-send's JSON reports match what the center spooled.

Runs the whole scenario library through `naccs-sim suite` with the
reference client naccs-send, which writes a JSON report per scenario, and
keeps every scenario's spool.  A spool contains one sNNNNNN-mNNNN.msg
file per message the center accepted with 250 after the final ".", so for
each scenario the files naccs-send reports "accepted" must be exactly the
spooled messages, compared by content against the fixture bytes (with
CRLF appended where a fixture lacks its final one, as the client must
end the last line before the "."), and no message may be spooled twice.
A file reported "unknown" (no reply to its end of data) may or may not
be in the spool, and the output says which.  The suite's own verdicts
must pass as well.  The output is TAP with one test per scenario, and
every mismatch names the scenario, the file, the outcome naccs-send
reported and the spool files that hold its content.

meson passes the paths through the environment: NACCS_SIM, NACCS_SEND,
SUITE_SCENARIOS (the scenario library) and NACCS_FIXTURES (fixtures/).
"""

import argparse
import collections
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Optional

# naccs-send with timeouts short enough for the scenarios whose center
# stalls or goes silent, and a short pause before each retry.
SEND_OPTIONS = [
    "--server", "{host}:{port}", "--helo", "{helo}", "--from", "{from}",
    "--to", "{to}", "--connect-timeout", "2", "--greeting-timeout", "2",
    "--reply-timeout", "2", "--data-timeout", "3", "--retry-delay", "0.2",
]

# Records the arguments of naccs-send in the file named by $1, then runs
# it with them.
RECORD_SCRIPT = ('record=$1; shift; '
                 'printf "%s\\n" "$@" > "$record" && exec "$@"')

# Arguments in front of the files in the recorded command line: the
# program, SEND_OPTIONS and "--report json:FILE".
SEND_ARGS_BEFORE_FILES = 1 + len(SEND_OPTIONS) + 2

# Outcomes naccs-send writes for a file in its JSON report.
OUTCOMES = {"accepted", "rejected", "failed", "unknown", "not-attempted"}

# Spool file names: s<session>-m<sequence>.msg.  Any other name holding
# ".msg" (a temporary ".s...msg.tmp" left behind) is reported.
SPOOLED_NAME = re.compile(r"s[0-9]{6,}-m[0-9]{4,}\.msg")

# Seconds the whole suite may take before it is killed.  This is below the
# meson timeout, so a kill shows up as a test failure with its reason.
DEFAULT_SUITE_TIMEOUT = 270


@dataclass
class Layout:
    """Where one run keeps its files, all under one results directory."""

    root: str

    @property
    def suite_report(self) -> str:
        return os.path.join(self.root, "suite.json")

    @property
    def spools(self) -> str:
        return os.path.join(self.root, "spool")

    @property
    def send_reports(self) -> str:
        return os.path.join(self.root, "send")

    def send_report(self, scenario: str) -> str:
        return os.path.join(self.send_reports, scenario + ".json")

    def send_argv(self, scenario: str) -> str:
        return os.path.join(self.send_reports, scenario + ".argv")

    def spool(self, scenario: str) -> str:
        return os.path.join(self.spools, scenario)


@dataclass
class SentFile:
    """One file naccs-send was given, with the outcome it reported."""

    path: str
    outcome: str
    reply_code: Optional[int] = None
    step: Optional[str] = None

    def describe(self) -> str:
        """Return the outcome as "rejected (reply 554 at data-end)"."""
        if self.reply_code is None:
            return "%s (no reply at %s)" % (self.outcome, self.step)
        return "%s (reply %d at %s)" % (self.outcome, self.reply_code,
                                        self.step)


@dataclass
class Finding:
    """Result of checking one scenario: problems fail it, notes inform."""

    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def suite_literal(text: str) -> str:
    """Quote text as literal words of `naccs-sim suite --client`.

    The runner splits the command like a POSIX shell and reads "{word}" as
    a placeholder, so a literal "{" is written "{{".
    """
    return shlex.quote(text).replace("{", "{{")


def client_command(send: str, layout: Layout) -> str:
    """Build the --client command: naccs-send behind a recording shell.

    The shell writes naccs-send's arguments, one per line, to
    <scenario>.argv before it runs naccs-send, so the check reads which
    files the client was given without parsing the scenario.  naccs-send
    writes its report to <scenario>.json.  Placeholders stay outside the
    quotes because the runner fills them in after splitting.
    """
    reports = layout.send_reports + os.sep
    argv = (["sh", "-c", suite_literal(RECORD_SCRIPT), "sh",
             suite_literal(reports) + "{scenario}.argv", suite_literal(send)]
            + SEND_OPTIONS
            + ["--report",
               suite_literal("json:" + reports) + "{scenario}.json",
               "{messages}"])
    return " ".join(argv)


def run_suite(sim: str, send: str, scenarios: str, fixtures: str,
              layout: Layout, timeout: float) -> subprocess.CompletedProcess:
    """Run every scenario file in scenarios against naccs-send."""
    os.makedirs(layout.send_reports, exist_ok=True)
    jobs = max(2, os.cpu_count() or 2)
    argv = [sim, "suite", "--jobs", str(jobs),
            "--client", client_command(send, layout),
            "--keep-spool", layout.spools,
            "--fixtures-dir", fixtures,
            "--report", "json:" + layout.suite_report, scenarios]
    return subprocess.run(argv, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout,
                          check=False)


def expected_message(path: str) -> bytes:
    """Return the bytes the center must store for the fixture at path."""
    with open(path, "rb") as fixture:
        data = fixture.read()
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def read_spool(spool: str, finding: Finding) -> dict:
    """Map the content of each spooled message to its file names."""
    stored = collections.defaultdict(list)
    if not os.path.isdir(spool):
        finding.problems.append("spool directory %s is missing" % spool)
        return stored
    for name in sorted(os.listdir(spool)):
        if SPOOLED_NAME.fullmatch(name):
            with open(os.path.join(spool, name), "rb") as message:
                stored[message.read()].append(name)
        elif ".msg" in name:
            finding.problems.append(
                "spool holds %s, which is not a committed message file "
                "name (want sNNNNNN-mNNNN.msg)" % name)
    return stored


def read_given_files(path: str, finding: Finding) -> Optional[list]:
    """Return the files in the command line recorded at path, or None."""
    try:
        with open(path, encoding="utf-8") as recorded:
            argv = recorded.read().splitlines()
    except OSError as error:
        finding.problems.append(
            "the recorded naccs-send command line is missing (%s): the "
            "client command did not run" % error)
        return None
    return argv[SEND_ARGS_BEFORE_FILES:]


def parse_sent_file(entry: object) -> Optional[SentFile]:
    """Return one entry of the report's "files" array, None if malformed."""
    if not isinstance(entry, dict):
        return None
    sent = SentFile(entry.get("path"), entry.get("outcome"),
                    entry.get("reply_code"), entry.get("step"))
    if not isinstance(sent.path, str) or sent.outcome not in OUTCOMES:
        return None
    return sent


def read_send_report(path: str, finding: Finding) -> Optional[list]:
    """Return the files of naccs-send's JSON report at path, or None."""
    try:
        with open(path, encoding="utf-8") as report:
            entries = json.load(report).get("files")
    except (OSError, ValueError, AttributeError) as error:
        finding.problems.append(
            "naccs-send's JSON report %s is missing or invalid: %s (see "
            "client-stderr.txt in the spool)" % (path, error))
        return None
    sent = [parse_sent_file(entry) for entry in entries or []]
    if entries is None or None in sent:
        finding.problems.append(
            "naccs-send's JSON report %s has no valid \"files\" array: each "
            "entry needs a \"path\" and an \"outcome\" of %s"
            % (path, ", ".join(sorted(OUTCOMES))))
        return None
    return sent


def check_verdicts(scenario: dict, finding: Finding) -> None:
    """Report the suite's verdict and each check that did not pass."""
    if scenario.get("result") == "pass":
        return
    finding.problems.append("the suite's result is %r, want 'pass'"
                            % scenario.get("result"))
    for verdict in scenario.get("verdicts", []):
        if verdict.get("status") not in ("pass", "skip"):
            finding.problems.append(
                "check %s: %s: %s" % (verdict.get("id"), verdict.get("status"),
                                      verdict.get("explanation")))


def check_report_lists_given(sent: list, argument_files: list,
                             finding: Finding) -> bool:
    """Check that the report has one entry per given file, in order."""
    reported = [entry.path for entry in sent]
    if reported == argument_files:
        return True
    finding.problems.append(
        "naccs-send was given %d files %s but its report lists %d %s"
        % (len(argument_files), argument_files, len(reported), reported))
    return False


def where_spooled(names: list) -> str:
    if not names:
        return "the spool does not hold it"
    return "the spool holds it as %s" % ", ".join(names)


def check_one_file(sent: SentFile, names: list, finding: Finding) -> None:
    """Compare the outcome of a file with unique content to its spooling."""
    if len(names) > 1:
        finding.problems.append(
            "file %s: naccs-send reported %s, and the spool holds it %d "
            "times (%s): the center accepted it more than once"
            % (sent.path, sent.describe(), len(names), ", ".join(names)))
    if sent.outcome == "accepted" and not names:
        finding.problems.append(
            "file %s: naccs-send reported %s, but the spool holds no "
            "message with its content" % (sent.path, sent.describe()))
    elif sent.outcome not in ("accepted", "unknown") and names:
        finding.problems.append(
            "file %s: naccs-send reported %s, but %s"
            % (sent.path, sent.describe(), where_spooled(names)))
    if sent.outcome == "unknown":
        finding.notes.append("file %s: naccs-send reported %s, and %s"
                             % (sent.path, sent.describe(),
                                where_spooled(names)))


def check_same_content(group: list, names: list, finding: Finding) -> None:
    """Compare several files with equal content to the spool, by count.

    Files with the same bytes are indistinguishable in the spool, so the
    count of spooled copies must lie between the files reported accepted
    and those plus the ones reported unknown.
    """
    accepted = sum(1 for sent in group if sent.outcome == "accepted")
    unknown = sum(1 for sent in group if sent.outcome == "unknown")
    files = "; ".join("%s: %s" % (sent.path, sent.describe())
                      for sent in group)
    spooled = "%d spooled copies (%s)" % (len(names), ", ".join(names))
    if not accepted <= len(names) <= accepted + unknown:
        finding.problems.append(
            "files with equal content (%s): want %d to %d spooled copies, "
            "found %s" % (files, accepted, accepted + unknown, spooled))
    elif unknown:
        finding.notes.append("files with equal content (%s): %s"
                             % (files, spooled))


def check_spool_matches(sent: list, stored: dict, finding: Finding) -> None:
    """Check that the spool contains exactly the files reported accepted."""
    groups = collections.defaultdict(list)
    for entry in sent:
        try:
            groups[expected_message(entry.path)].append(entry)
        except OSError as error:
            finding.problems.append("file %s cannot be read: %s"
                                    % (entry.path, error))
    for content, group in groups.items():
        names = stored.get(content, [])
        if len(group) == 1:
            check_one_file(group[0], names, finding)
        else:
            check_same_content(group, names, finding)
    for content, names in stored.items():
        if content not in groups:
            finding.problems.append(
                "spool holds %s (%d bytes), which equals no file naccs-send "
                "was given" % (", ".join(names), len(content)))


def check_scenario(scenario: dict, layout: Layout) -> Finding:
    """Check the verdicts, the naccs-send report and the spool of one."""
    finding = Finding()
    scenario_id = scenario.get("id")
    check_verdicts(scenario, finding)
    stored = read_spool(layout.spool(scenario_id), finding)
    argument_files = read_given_files(layout.send_argv(scenario_id), finding)
    sent = read_send_report(layout.send_report(scenario_id), finding)
    if argument_files is None or sent is None:
        return finding
    if check_report_lists_given(sent, argument_files, finding):
        check_spool_matches(sent, stored, finding)
    return finding


def summarise(layout: Layout, scenario_id: str) -> str:
    """Return "2 accepted, 1 unknown" from the naccs-send report."""
    try:
        with open(layout.send_report(scenario_id), encoding="utf-8") as report:
            files = json.load(report).get("files", [])
        counts = collections.Counter(entry.get("outcome") for entry in files)
    except (OSError, ValueError, AttributeError):
        return "no naccs-send report"
    return ", ".join("%d %s" % (counts[outcome], outcome)
                     for outcome in sorted(counts, key=str))


def print_diagnostics(lines: list) -> None:
    for line in lines:
        for part in str(line).splitlines() or [""]:
            print("# " + part)


def count_scenario_files(scenarios: str) -> int:
    if os.path.isfile(scenarios):
        return 1
    return sum(1 for name in os.listdir(scenarios)
               if name.endswith((".yaml", ".yml")))


def check_results(layout: Layout, scenarios: Optional[str]) -> bool:
    """Print one TAP test per scenario of the suite report.

    Returns True when every scenario passed.
    """
    with open(layout.suite_report, encoding="utf-8") as report:
        entries = json.load(report).get("scenarios", [])
    passed = True
    number = 0
    if scenarios is not None:
        want = count_scenario_files(scenarios)
        number += 1
        covered = len(entries) == want
        print("%s %d - suite report covers all %d scenario files"
              % ("ok" if covered else "not ok", number, want))
        if not covered:
            print_diagnostics(["the suite report has %d scenarios, want %d"
                               % (len(entries), want)])
        passed = passed and covered
    for scenario in entries:
        number += 1
        finding = check_scenario(scenario, layout)
        status = "not ok" if finding.problems else "ok"
        print("%s %d - %s: %s" % (status, number, scenario.get("id"),
                                  summarise(layout, scenario.get("id"))))
        print_diagnostics(finding.problems + finding.notes)
        passed = passed and not finding.problems
    print("1..%d" % number)
    return passed


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        print("Bail out! environment variable %s is not set: run this "
              "through `meson test`, which sets it" % name)
        sys.exit(1)
    return value


def run_and_check(args: argparse.Namespace, layout: Layout) -> bool:
    """Run the suite into layout and check it; True if everything passed."""
    scenarios = require_env("SUITE_SCENARIOS")
    try:
        run = run_suite(require_env("NACCS_SIM"), require_env("NACCS_SEND"),
                        scenarios, require_env("NACCS_FIXTURES"), layout,
                        args.timeout)
    except subprocess.TimeoutExpired:
        print("Bail out! naccs-sim suite still ran after %g s and was killed"
              % args.timeout)
        return False
    if run.returncode not in (0, 1) or not os.path.isfile(layout.suite_report):
        print("Bail out! naccs-sim suite exited with status %d and wrote no "
              "report" % run.returncode)
        print_diagnostics([run.stdout, run.stderr])
        return False
    passed = check_results(layout, scenarios)
    if run.returncode != 0 or not passed:
        print_diagnostics(["naccs-sim suite exited with status %d; its "
                           "output:" % run.returncode, run.stdout, run.stderr])
    return passed and run.returncode == 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR",
                        help="run into DIR and keep it (default: a temporary "
                             "directory, kept only when a check fails)")
    parser.add_argument("--check-only", metavar="DIR",
                        help="only check the results an earlier --keep run "
                             "left in DIR")
    parser.add_argument("--timeout", type=float,
                        default=DEFAULT_SUITE_TIMEOUT,
                        help="seconds the whole suite may run (default %d)"
                             % DEFAULT_SUITE_TIMEOUT)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.check_only:
        return 0 if check_results(Layout(args.check_only), None) else 1
    root = args.keep or tempfile.mkdtemp(prefix="reference-reports-")
    passed = run_and_check(args, Layout(root))
    if passed and not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    elif not passed:
        print_diagnostics(["results kept in %s" % root])
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
