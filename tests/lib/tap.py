"""Tiny TAP-style reporter shared by the project's Python checks: each check
prints "ok - name" or "not ok - name: detail"; finish() prints the plain
"N passed, N failed" line and returns the exit status."""


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok - %s" % name)
        else:
            self.failed += 1
            print("not ok - %s%s" % (name, ": " + detail if detail else ""))
        return cond

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0
