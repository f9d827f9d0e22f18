"""huimin's policy package: what the notices say, as data and pure functions.

No I/O, no web framework, no database: the services read it (issue 12). Every figure here cites its
clause in docs/policy.md.
"""
