"""gate.sh's own reading of its steps' results (devtools/gate-lib.sh):
counts files and the KUnit tiers' judgement lines."""
import run as r

LIB = r.REPO / 'devtools/gate-lib.sh'


def counts(text, status, expect):
    def fn(tmp):
        (tmp / 'c').write_text(text)
        st, out = r.run(['bash', '-c', f'. "{LIB}"; gate_counts "{tmp}/c" {status}'])
        # The judge "fails" when the gate would count a failure.
        return (1 if out.split()[1] != '0' else 0), out
    return fn


def tier(text, status):
    def fn(tmp):
        (tmp / 'g').write_text(text)
        st, out = r.run(['bash', '-c', f'. "{LIB}"; gate_tier_counts x86_64 "{tmp}/g" {status}'])
        return (1 if out.split()[1] != '0' else 0), out
    return fn


CASES = [
    ('counts: 12 0 from a step that passed', 'PASS', counts('12 0\n', 0, None)),
    ('counts: 12 0 from a step that failed', 'FAILED', counts('12 0\n', 2, None)),
    ('counts: one number', 'FAILED', counts('12\n', 0, None)),
    ('counts: empty', 'FAILED', counts('', 0, None)),
    ('counts: not numbers', 'FAILED', counts('5 x\n', 0, None)),
    ('counts: failures', 'FAILED', counts('5 2\n', 0, None)),
    ('tier: passed', 'PASS', tier('x86_64: kreport: 0 unexpected\nx86_64: 1400 passed, 0 failed, 18 skipped\n', 0)),
    ('tier: passed, but make failed', 'FAILED', tier('x86_64: 1400 passed, 0 failed, 18 skipped\n', 2)),
    ('tier: no result line', 'FAILED', tier('x86_64: kreport: 0 unexpected\n', 0)),
    ('tier: two result lines', 'FAILED',
     tier('x86_64: 1400 passed, 0 failed\nx86_64: 10 passed, 0 failed\n', 0)),
    ('tier: failures', 'FAILED', tier('x86_64: 1400 passed, 3 failed, 18 skipped\n', 1)),
]
