#!/usr/bin/env python3
"""Tests of check_reference_reports.py on hand-made results.

Each case builds the files that one suite run leaves behind for one
scenario with one fault: the suite's JSON report, naccs-send's JSON report
and recorded command line, and the spool.  The checker must report that
fault, naming the file and the outcome, and nothing else.  This proves the
checker can fail; the library run itself proves naccs-send passes it.
"""

import json
import os
import sys
import tempfile
import unittest

# Keep __pycache__ out of the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import check_reference_reports as checker  # noqa: E402

SHORT = b"HEADER\r\nBODY\r\n"
DOTS = b".LEADING DOT\r\n..TWO\r\n"
NO_FINAL_CRLF = b"LAST LINE WITHOUT CRLF"


class Results:
    """Files of one hand-made scenario run under a temporary directory."""

    def __init__(self, root: str, scenario: str = "case") -> None:
        self.layout = checker.Layout(root)
        self.scenario = scenario
        self.fixtures = os.path.join(root, "fixtures")
        for directory in (self.fixtures, self.layout.send_reports,
                          self.layout.spool(scenario)):
            os.makedirs(directory, exist_ok=True)
        self.paths = []

    def fixture(self, name: str, data: bytes) -> str:
        path = os.path.join(self.fixtures, name)
        with open(path, "wb") as fixture:
            fixture.write(data)
        self.paths.append(path)
        return path

    def send_report(self, outcomes: list, paths: list = None) -> None:
        files = [{"path": path, "outcome": outcome, "attempts": 1,
                  "reply_code": 250 if outcome == "accepted" else 554,
                  "step": "data-end", "detail": None}
                 for path, outcome in zip(paths or self.paths, outcomes)]
        with open(self.layout.send_report(self.scenario), "w",
                  encoding="utf-8") as report:
            json.dump({"files": files}, report)
        argv = (["naccs-send"] + ["option"] * (checker.SEND_ARGS_BEFORE_FILES
                                               - 1) + self.paths)
        with open(self.layout.send_argv(self.scenario), "w",
                  encoding="utf-8") as recorded:
            recorded.write("\n".join(argv) + "\n")

    def spool(self, name: str, data: bytes) -> None:
        path = os.path.join(self.layout.spool(self.scenario), name)
        with open(path, "wb") as message:
            message.write(data)

    def check(self, result: str = "pass", verdicts: list = None):
        scenario = {"id": self.scenario, "result": result,
                    "verdicts": verdicts or []}
        return checker.check_scenario(scenario, self.layout)


class CheckScenarioTest(unittest.TestCase):
    """One fault per test; each asserts the problems the checker reports."""

    def setUp(self) -> None:
        self.directory = tempfile.TemporaryDirectory(prefix="check-reports-")
        self.results = Results(self.directory.name)

    def tearDown(self) -> None:
        self.directory.cleanup()

    def assert_one_problem(self, finding, *fragments: str) -> None:
        self.assertEqual(len(finding.problems), 1, finding.problems)
        for fragment in fragments:
            self.assertIn(fragment, finding.problems[0])

    def test_matching_run_passes(self) -> None:
        """Proves accepted files spooled once, in any order, pass."""
        self.results.fixture("a.edi", SHORT)
        self.results.fixture("b.edi", DOTS)
        self.results.fixture("c.edi", DOTS + b"REJECTED\r\n")
        self.results.send_report(["accepted", "accepted", "rejected"])
        self.results.spool("s000001-m0001.msg", DOTS)
        self.results.spool("s000002-m0001.msg", SHORT)
        finding = self.results.check()
        self.assertEqual(finding.problems, [])
        self.assertEqual(finding.notes, [])

    def test_final_crlf_appended(self) -> None:
        """Proves a fixture without final CRLF matches with one appended."""
        self.results.fixture("a.edi", NO_FINAL_CRLF)
        self.results.send_report(["accepted"])
        self.results.spool("s000001-m0001.msg", NO_FINAL_CRLF + b"\r\n")
        self.assertEqual(self.results.check().problems, [])

    def test_final_crlf_missing(self) -> None:
        """Proves a message stored without the appended CRLF fails."""
        path = self.results.fixture("a.edi", NO_FINAL_CRLF)
        self.results.send_report(["accepted"])
        self.results.spool("s000001-m0001.msg", NO_FINAL_CRLF)
        finding = self.results.check()
        self.assertEqual(len(finding.problems), 2, finding.problems)
        self.assertIn("file %s: naccs-send reported accepted" % path,
                      finding.problems[0])
        self.assertIn("s000001-m0001.msg (22 bytes), which equals no file",
                      finding.problems[1])

    def test_accepted_not_spooled(self) -> None:
        """Proves a file reported accepted but absent from the spool fails."""
        path = self.results.fixture("a.edi", SHORT)
        self.results.send_report(["accepted"])
        self.assert_one_problem(self.results.check(), path,
                                "reported accepted (reply 250 at data-end)",
                                "holds no message with its content")

    def test_rejected_but_spooled(self) -> None:
        """Proves a file reported rejected but spooled fails."""
        path = self.results.fixture("a.edi", SHORT)
        self.results.send_report(["rejected"])
        self.results.spool("s000001-m0001.msg", SHORT)
        self.assert_one_problem(self.results.check(), path,
                                "reported rejected (reply 554 at data-end)",
                                "holds it as s000001-m0001.msg")

    def test_spooled_twice(self) -> None:
        """Proves an accepted file the center stored twice fails."""
        path = self.results.fixture("a.edi", SHORT)
        self.results.send_report(["accepted"])
        self.results.spool("s000001-m0001.msg", SHORT)
        self.results.spool("s000002-m0001.msg", SHORT)
        self.assert_one_problem(self.results.check(), path, "2 times",
                                "s000001-m0001.msg, s000002-m0001.msg")

    def test_spooled_unknown_content(self) -> None:
        """Proves a spooled message equal to no given file fails."""
        self.results.fixture("a.edi", SHORT)
        self.results.send_report(["accepted"])
        self.results.spool("s000001-m0001.msg", SHORT)
        self.results.spool("s000001-m0002.msg", b"GARBLED\r\n")
        self.assert_one_problem(self.results.check(), "s000001-m0002.msg",
                                "equals no file")

    def test_unknown_either_way(self) -> None:
        """Proves an unknown file passes either way, noting where it is."""
        path = self.results.fixture("a.edi", SHORT)
        self.results.send_report(["unknown"])
        finding = self.results.check()
        self.assertEqual(finding.problems, [])
        self.assertEqual(len(finding.notes), 1)
        self.assertIn(path, finding.notes[0])
        self.assertIn("the spool does not hold it", finding.notes[0])

        self.results.spool("s000001-m0001.msg", SHORT)
        finding = self.results.check()
        self.assertEqual(finding.problems, [])
        self.assertIn("the spool holds it as s000001-m0001.msg",
                      finding.notes[0])

    def test_equal_contents_counted(self) -> None:
        """Proves files with equal bytes are checked by count of copies."""
        self.results.fixture("a.edi", SHORT)
        self.results.fixture("b.edi", SHORT)
        self.results.send_report(["accepted", "accepted"])
        self.results.spool("s000001-m0001.msg", SHORT)
        self.assert_one_problem(self.results.check(), "equal content",
                                "want 2 to 2 spooled copies",
                                "1 spooled copies (s000001-m0001.msg)")
        self.results.spool("s000001-m0002.msg", SHORT)
        self.assertEqual(self.results.check().problems, [])

    def test_report_omits_file(self) -> None:
        """Proves a report that leaves out a given file fails."""
        first = self.results.fixture("a.edi", SHORT)
        self.results.fixture("b.edi", DOTS)
        self.results.send_report(["accepted"], paths=[first])
        self.results.spool("s000001-m0001.msg", SHORT)
        self.assert_one_problem(self.results.check(), "was given 2 files",
                                "its report lists 1")

    def test_report_missing(self) -> None:
        """Proves a scenario without naccs-send's report fails."""
        self.results.fixture("a.edi", SHORT)
        self.results.send_report(["accepted"])
        os.unlink(self.results.layout.send_report("case"))
        self.assert_one_problem(self.results.check(), "missing or invalid")

    def test_invalid_outcome(self) -> None:
        """Proves an outcome outside the documented five fails."""
        self.results.fixture("a.edi", SHORT)
        self.results.send_report(["sent"])
        self.assert_one_problem(self.results.check(),
                                "no valid \"files\" array")

    def test_failed_verdict(self) -> None:
        """Proves a failed suite verdict fails and is named with its reason."""
        self.results.fixture("a.edi", SHORT)
        self.results.send_report(["rejected"])
        verdicts = [{"id": "SEQ-HELO", "status": "pass"},
                    {"id": "MSG-COUNT", "status": "fail",
                     "explanation": "0 of 1 asked messages were accepted"}]
        finding = self.results.check("fail", verdicts)
        self.assertEqual(len(finding.problems), 2, finding.problems)
        self.assertIn("'fail'", finding.problems[0])
        self.assertIn("check MSG-COUNT: fail: 0 of 1", finding.problems[1])

    def test_temporary_file_left(self) -> None:
        """Proves an uncommitted temporary message file fails."""
        self.results.fixture("a.edi", SHORT)
        self.results.send_report(["rejected"])
        self.results.spool(".s000001-m0001.msg.tmp", SHORT)
        self.assert_one_problem(self.results.check(),
                                ".s000001-m0001.msg.tmp",
                                "not a committed message file name")


class ClientCommandTest(unittest.TestCase):
    """The --client command the checker hands to naccs-sim suite."""

    def test_braces_escaped(self) -> None:
        """Proves literal braces are doubled and placeholders kept."""
        layout = checker.Layout("/tmp/odd {dir}")
        command = checker.client_command("/opt/naccs send", layout)
        self.assertIn("'json:/tmp/odd {{dir}/send/'{scenario}.json", command)
        self.assertIn("'/tmp/odd {{dir}/send/'{scenario}.argv", command)
        self.assertIn("'/opt/naccs send'", command)
        self.assertIn("{host}:{port}", command)
        self.assertTrue(command.endswith(" {messages}"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
