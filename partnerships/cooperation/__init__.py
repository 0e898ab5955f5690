"""Cooperation after the match: interest, partnerships, projects, expansion and programmes.

Writes and rules live here as keyword-only functions; pages, the API and the admin call them.
Modules:

- ``interest``: expressions of interest between two cities, the inbox, mutual interest;
- ``pipeline``: partnerships, their status pipeline and history, organizations, ledger, reviews;
- ``projects``: projects inside a partnership, milestones, figures, drafts for the catalogue;
- ``expansion``: next policy areas for an active partnership;
- ``programmes``: networks of many cities, eligibility and suggested member pairs;
- ``support``: help for cities without an international department, experienced mentors;
- ``scoring``: what partnerships change in scoring runs;
- ``reading``: what the pages show, in a fixed number of queries.

Nothing is imported here, so that ``partnerships.services`` can read ``scoring`` without
importing the rest.
"""
