"""static's htmldocs judge (devtools/docs-judge.sh): warnings about the
series' files fail, the base's own warnings do not, wherever the tree is."""
import run as r

JUDGE = r.REPO / 'devtools/docs-judge.sh'
TREE = '/home/user/devhold/build/work'
BASE = [
    f'{TREE}/Documentation/core-api/kref.rst:12: WARNING: duplicate label kref',
    f'{TREE}/include/linux/list.h:123: warning: Function parameter or struct member \'x\' not described',
    f'./include/linux/llist.h:88: warning: Excess function parameter \'y\' description',
    f'checking consistency... {TREE}/Documentation/core-api/devhold-other-user.rst: WARNING: '
    'document isn\'t included in any toctree',
    'build succeeded, 3 warnings.',
]


def docs(extra):
    def fn(tmp):
        (tmp / 'docs.log').write_text('\n'.join(BASE + extra) + '\n')
        return r.run(['bash', str(JUDGE), str(tmp / 'docs.log')])
    return fn


CASES = [
    ('base warnings in a checkout named devhold', 'PASS', docs([])),
    ('a warning in devhold.rst', 'FAILED',
     docs([f'{TREE}/Documentation/core-api/devhold.rst:40: WARNING: Unexpected indentation.'])),
    ('a kernel-doc warning in devhold.h', 'FAILED',
     docs(['./include/linux/devhold.h:77: warning: Function parameter or struct member \'gfp\' '
           'not described in \'devhold_get\''])),
    ('a kernel-doc warning in lib/devhold.c', 'FAILED',
     docs([f'{TREE}/lib/devhold.c:301: warning: expecting prototype for devhold_put()'])),
    ('an error in devhold.rst', 'FAILED',
     docs([f'{TREE}/Documentation/core-api/devhold.rst:12: ERROR: Unknown directive type "kernel-doc2".'])),
    ('the index names a missing devhold document', 'FAILED',
     docs([f'{TREE}/Documentation/core-api/index.rst:40: WARNING: toctree contains reference to '
           'nonexisting document \'core-api/devhold\''])),
]
CASES += [
    ('a CRITICAL about devhold.rst', 'FAILED',
     docs([f'{TREE}/Documentation/core-api/devhold.rst:3: CRITICAL: Title level inconsistent:'])),
    ('a docutils (SEVERE/4) about devhold.rst', 'FAILED',
     docs([f'{TREE}/Documentation/core-api/devhold.rst:7: (SEVERE/4) Problems with "include" directive path'])),
    ('a docutils (WARNING/2) about devhold.rst', 'FAILED',
     docs([f'{TREE}/Documentation/core-api/devhold.rst:9: (WARNING/2) Inline emphasis start-string without end-string.'])),
]
